//! The store: one SQLite file (WAL), one writer thread doing group commits, a few reading
//! connections, and a watch counter per stream and queue for consumers waiting on writes.

use crate::error::StoreError;
use crate::locking::lock;
use crate::rules_cache::RulesCache;
use crate::{checkpointer, schema, writer};
use rusqlite::Connection;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

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
    rules: Arc<RulesCache>,
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

    pub fn stream_shards(&self) -> u32 {
        self.inner.stream_shards
    }

    pub(crate) fn rules_cache(&self) -> &Arc<RulesCache> {
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

pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
