//! The ports on the embedded store, a peer of `cakeshop-aws`: one SQLite file (WAL) holding
//! the orders table, the stream, the queues, the mailbox and the partner-call recorder, behind
//! `cakeshop dev` (`cakeshop-local` emulates the AWS services on top of it).
//!
//! Every write is a transaction committed before the caller hears "done", so a process killed
//! at any moment loses nothing it acknowledged. Writers to the stream and the queues bump a
//! watch counter so that consumers wake at once instead of polling.
//!
//! - `orders`: the `OrderRepository` and its outbox (`LocalOrders`), orders listed by status.
//! - `bakery`: the `Bakery` on `LocalOrders`: the shop's versioned settings, booked days.
//! - `stream`: the `EventPublisher`, a Kinesis-like stream with shards and checkpoints.
//! - `queues`: the `QueueSender`, SQS-like queues with visibility and redrive.
//! - `mailbox`: the `Mailer`, every email kept (the SES stand-in's memory).
//! - `smtp_outbox`: the emails owed to an SMTP relay.
//! - `partners`: the calls the partner stand-ins received.
//! - `remote_checkpoints`: checkpoints of mappings on a real Kinesis stream.
//! - `writer`, `checkpointer`: group commit on one writer thread; the log folded back apart.
//! - `schema`, `migrations`: the tables (and the sample catalogue a new store starts with),
//!   and changes to stores of older versions.
//! - `seed`: many orders at once, for measuring a large store.
//! - `faults`: crash points, to prove recovery.
//! - `inspect`: read-only views for the local console (queue depths, consumer lag, one order's
//!   records, messages, calls and emails).
//! - `data_dir_lock`: one process per store.
//! - `backup`: a consistent copy of a running store, and its restore.

pub mod backup;
mod bakery;
mod checkpointer;
mod data_dir_lock;
pub mod faults;
mod inspect;
mod mailbox;
mod migrations;
mod orders;
mod partners;
mod queues;
mod remote_checkpoints;
mod schema;
pub mod seed;
mod smtp_outbox;
mod stream;
mod writer;

pub use data_dir_lock::{DataDirLock, LOCK_FILE, LockError};
pub use inspect::{FoundCall, FoundMessage, QueueCounts};
pub use mailbox::{LocalMailer, MAIL_FEED, StoredEmail};
pub use orders::LocalOrders;
pub use partners::RecordedCall;
pub use queues::Redrive;
pub use queues::{LocalQueue, QueueMessage};
pub use smtp_outbox::{OutboxCounts, OwedEmail, SmtpOutbox};
pub use stream::{LocalStream, StreamRecord, parse_sequence_number, sequence_number, shard_for};

use rusqlite::Connection;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start a thread of the store")]
    Thread(#[source] std::io::Error),
    #[error("SQLite")]
    Sqlite(#[source] rusqlite::Error),
    #[error("the transaction holding this write failed to commit")]
    Commit(#[source] Arc<rusqlite::Error>),
    /// SQLite found no room for the write (`SQLITE_FULL`): the disk, or the store's size
    /// limit. Nothing of it was kept.
    #[error("writing to the store")]
    Full(#[source] cakeshop_ports::StorageFull),
    #[error("the store's writer has stopped")]
    WriterStopped,
    #[error("a store write panicked and was rolled back")]
    WritePanicked,
    #[error("a stored {what} is corrupt")]
    Corrupt {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        if is_disk_full(&error) {
            StoreError::Full(cakeshop_ports::StorageFull { cause: error.into() })
        } else {
            StoreError::Sqlite(error)
        }
    }
}

impl StoreError {
    /// A commit that failed, as `Full` when it failed for want of space.
    fn commit(error: Arc<rusqlite::Error>) -> StoreError {
        if is_disk_full(&error) {
            StoreError::Full(cakeshop_ports::StorageFull { cause: error.into() })
        } else {
            StoreError::Commit(error)
        }
    }
}

fn is_disk_full(error: &rusqlite::Error) -> bool {
    error.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull)
}

/// A handle on the store; cheap to clone, shared by every adapter and consumer.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    connection: Arc<Mutex<Connection>>,
    writer: writer::Writer,
    /// Connections for reads, so that they never wait for a group commit (WAL lets readers and
    /// the writer proceed at once), and more than one so that a stream consumer's scan does not
    /// hold back a request's read.
    readers: Vec<Mutex<Connection>>,
    /// Where the next read starts looking for a free reader.
    next_reader: std::sync::atomic::AtomicUsize,
    path: PathBuf,
    stream_shards: u32,
    /// Bumped on every stream write.
    stream_written: watch::Sender<u64>,
    /// Bumped on every write to a queue, by queue name.
    queue_written: Watches,
    /// Bumped on every email kept (`MAIL_FEED`) and every partner call recorded (by partner).
    feed_written: Watches,
    /// The shop's rules as last read, shared by every `LocalOrders` on this store.
    rules: Arc<bakery::RulesCache>,
    _checkpointer: checkpointer::Checkpointer,
}

pub const STORE_FILE: &str = "cakeshop.sqlite3";

/// Reading connections: requests and the stream consumers read at once.
const READERS: usize = 3;

impl Store {
    /// Opens (creating if needed) the store in `data_dir`, with a stream of `stream_shards` shards.
    pub fn open(data_dir: &Path, stream_shards: u32) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_owned(),
            source,
        })?;
        let path = data_dir.join(STORE_FILE);
        let mut connection = Connection::open(&path)?;
        schema::prepare(&mut connection)?;
        let transactions = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let checkpointer = checkpointer::Checkpointer::start(&path, Arc::clone(&transactions))?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let mut reader = Connection::open(&path)?;
            schema::configure(&mut reader)?;
            readers.push(Mutex::new(reader));
        }
        let connection = Arc::new(Mutex::new(connection));
        let writer = writer::Writer::start(Arc::clone(&connection), transactions)?;
        Ok(Store {
            inner: Arc::new(Inner {
                connection,
                writer,
                readers,
                next_reader: Default::default(),
                path,
                stream_shards: stream_shards.max(1),
                stream_written: watch::Sender::new(0),
                queue_written: Watches::default(),
                feed_written: Watches::default(),
                rules: Arc::default(),
                _checkpointer: checkpointer,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Copies the whole log into the store file and empties it, waiting for readers and the
    /// writer as long as it must: for a stop, when nothing else is going on.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.with(|connection| {
            let busy: i64 = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))?;
            if busy != 0 {
                return Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    Some("a reader kept the log from being copied whole".into()),
                )));
            }
            Ok(())
        })
    }

    /// Makes every queue message an earlier process received and never deleted visible at
    /// once, and says how many there were. Only for the holder of the data directory's lock:
    /// no one else can be handling them, so waiting out their visibility would only delay them.
    pub fn release_received_messages(&self) -> Result<usize, StoreError> {
        self.with(|connection| Ok(queues::release_received(connection)?))
    }

    pub fn stream_shards(&self) -> u32 {
        self.inner.stream_shards
    }

    pub(crate) fn rules_cache(&self) -> &Arc<bakery::RulesCache> {
        &self.inner.rules
    }

    /// Runs `work` on the connection. SQLite statements here take microseconds, so holding the
    /// lock for one of them is cheaper than handing it to another thread.
    pub(crate) fn with<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut connection = lock(&self.inner.connection);
        work(&mut connection)
    }

    /// A reader nobody holds, else the next one in turn, once it is free.
    fn free_reader(&self) -> MutexGuard<'_, Connection> {
        let readers = &self.inner.readers;
        let start = self
            .inner
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for n in 0..readers.len() {
            match readers[(start + n) % readers.len()].try_lock() {
                Ok(reader) => return reader,
                Err(std::sync::TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        lock(&readers[start % readers.len()])
    }

    /// Runs `work`, which only reads, on a reading connection, in one read transaction: it
    /// sees every write acknowledged before it started, and no write half-applied.
    pub(crate) fn read<T>(&self, work: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let reader = self.free_reader();
        if !reader.is_autocommit() {
            // An earlier read failed to end its transaction; ending it loses nothing.
            reader.execute_batch("ROLLBACK")?;
        }
        reader.prepare_cached("BEGIN")?.execute([])?;
        let result = work(&reader);
        let ended = reader
            .prepare_cached("COMMIT")
            .and_then(|mut commit| commit.execute([]));
        let value = result?;
        ended?;
        Ok(value)
    }

    /// Runs `work` as part of the next group commit (see `writer`) and returns its result once
    /// it is durable. What `work` writes is all kept or, if it fails, all undone.
    pub(crate) async fn write<T, W>(&self, work: W) -> Result<T, StoreError>
    where
        T: Send + 'static,
        W: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.inner.writer.write(work).await
    }

    /// `write`, and `settled` runs once the write is committed or has failed, even if the
    /// caller has gone by then.
    pub(crate) async fn write_then<T, W, S>(&self, work: W, settled: S) -> Result<T, StoreError>
    where
        T: Send + 'static,
        W: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        S: FnOnce() + Send + 'static,
    {
        self.inner.writer.write_then(work, settled).await
    }

    /// Queues `work` for the next group commit and returns at once, for writes whose loss in a
    /// crash is harmless; a failure is logged as `what`.
    pub(crate) fn write_detached<W>(&self, what: &'static str, work: W) -> Result<(), StoreError>
    where
        W: FnOnce(&Connection) -> Result<(), StoreError> + Send + 'static,
    {
        self.inner.writer.write_detached(what, work)
    }

    /// `work` in a transaction of its own, for callers outside the async runtime.
    pub(crate) fn with_transaction<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with(|connection| {
            let transaction = connection.transaction()?;
            let value = work(&transaction)?;
            transaction.commit()?;
            Ok(value)
        })
    }

    pub fn stream_watch(&self) -> watch::Receiver<u64> {
        self.inner.stream_written.subscribe()
    }

    pub(crate) fn stream_was_written(&self) {
        self.inner.stream_written.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn queue_watch(&self, queue: &str) -> watch::Receiver<u64> {
        self.inner.queue_written.subscribe(queue)
    }

    pub(crate) fn queue_was_written(&self, queue: &str) {
        self.inner.queue_written.bump(queue);
    }

    /// Changes whenever the feed named `feed` (`MAIL_FEED`, or a partner) gains an item.
    pub fn feed_watch(&self, feed: &str) -> watch::Receiver<u64> {
        self.inner.feed_written.subscribe(feed)
    }

    pub(crate) fn feed_was_written(&self, feed: &str) {
        self.inner.feed_written.bump(feed);
    }
}

/// One counter per name, bumped on every write there, for whoever waits for the next one.
#[derive(Default)]
struct Watches(Mutex<HashMap<String, watch::Sender<u64>>>);

impl Watches {
    fn subscribe(&self, name: &str) -> watch::Receiver<u64> {
        lock(&self.0)
            .entry(name.to_owned())
            .or_insert_with(|| watch::Sender::new(0))
            .subscribe()
    }

    fn bump(&self, name: &str) {
        lock(&self.0)
            .entry(name.to_owned())
            .or_insert_with(|| watch::Sender::new(0))
            .send_modify(|n| *n = n.wrapping_add(1));
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave SQLite half-written (transactions roll back),
    // so the connection stays usable.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

pub(crate) fn corrupt(what: &'static str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError::Corrupt {
        what,
        source: source.into(),
    }
}
