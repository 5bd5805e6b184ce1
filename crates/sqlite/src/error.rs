//! Why a store operation failed, keeping SQLite's error as the cause.

use std::path::PathBuf;
use std::sync::Arc;

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
    pub(crate) fn commit(error: Arc<rusqlite::Error>) -> StoreError {
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

pub(crate) fn corrupt(what: &'static str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError::Corrupt {
        what,
        source: source.into(),
    }
}
