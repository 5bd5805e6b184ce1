//! The durable store behind `cakeshop dev`: one SQLite file (WAL) holding the orders table, the
//! stream, the queues, the mailbox and the partner-call recorder.
//!
//! Every write is a transaction committed before the caller hears "done", so a process killed
//! at any moment loses nothing it acknowledged. Writers to the stream and the queues bump a
//! watch counter so that consumers wake at once instead of polling.

mod mailbox;
mod migrations;
mod orders;
mod orders_by_status;
mod partners;
mod queues;
mod remote_checkpoints;
mod schema;
pub mod seed;
mod stream;

pub use mailbox::{LocalMailer, StoredEmail};
pub use orders::LocalOrders;
pub use partners::RecordedCall;
pub use queues::Redrive;
pub use queues::{LocalQueue, QueueMessage};
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
    #[error("SQLite")]
    Sqlite(#[from] rusqlite::Error),
    #[error("a stored {what} is corrupt")]
    Corrupt {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// A handle on the store; cheap to clone, shared by every adapter and consumer.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    connection: Mutex<Connection>,
    path: PathBuf,
    stream_shards: u32,
    /// Bumped on every stream write.
    stream_written: watch::Sender<u64>,
    /// Bumped on every write to a queue, by queue name.
    queue_written: Mutex<HashMap<String, watch::Sender<u64>>>,
}

pub const STORE_FILE: &str = "cakeshop.sqlite3";

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
        Ok(Store {
            inner: Arc::new(Inner {
                connection: Mutex::new(connection),
                path,
                stream_shards: stream_shards.max(1),
                stream_written: watch::Sender::new(0),
                queue_written: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn stream_shards(&self) -> u32 {
        self.inner.stream_shards
    }

    /// Runs `work` on the connection. SQLite statements here take microseconds, so holding the
    /// lock for one of them is cheaper than handing it to another thread.
    pub(crate) fn with<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut connection = lock(&self.inner.connection);
        work(&mut connection)
    }

    pub fn stream_watch(&self) -> watch::Receiver<u64> {
        self.inner.stream_written.subscribe()
    }

    pub(crate) fn stream_was_written(&self) {
        self.inner.stream_written.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn queue_watch(&self, queue: &str) -> watch::Receiver<u64> {
        let mut senders = lock(&self.inner.queue_written);
        senders
            .entry(queue.to_owned())
            .or_insert_with(|| watch::Sender::new(0))
            .subscribe()
    }

    pub(crate) fn queue_was_written(&self, queue: &str) {
        let mut senders = lock(&self.inner.queue_written);
        senders
            .entry(queue.to_owned())
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
