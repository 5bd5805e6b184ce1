//! Copies the write-ahead log back into the database file on a thread of its own, so that no
//! request waits for it: SQLite's automatic checkpoint would otherwise run inside whichever
//! commit crosses the threshold.

use super::reader::Reader;
use super::{StoreError, lock};
use rusqlite::Connection;
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often the log is copied back; the log holds about this long's worth of writes.
const EVERY: Duration = Duration::from_millis(200);

/// Stops the checkpointing thread when dropped (with the last handle on the store).
pub(super) struct Checkpointer {
    _stop: Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path` on its own connection.
    pub(super) fn start(path: &Path, reader: Arc<Mutex<Reader>>) -> Result<Checkpointer, StoreError> {
        let connection = Connection::open(path)?;
        // Never wait: RESTART holds writers back while it waits, so it only goes ahead when no
        // reader is in the way, and otherwise ends as a PASSIVE checkpoint and tries next time.
        connection.busy_timeout(Duration::ZERO)?;
        let (stop, stopped) = channel();
        std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || run(&connection, &reader, &stopped))
            .map_err(StoreError::Thread)?;
        Ok(Checkpointer { _stop: stop })
    }
}

fn run(connection: &Connection, reader: &Mutex<Reader>, stopped: &Receiver<()>) {
    loop {
        let last = match stopped.recv_timeout(EVERY) {
            Err(RecvTimeoutError::Timeout) => false,
            // The store was dropped (nothing is ever sent): one last copy, then stop.
            Ok(()) | Err(RecvTimeoutError::Disconnected) => true,
        };
        checkpoint(connection, reader);
        if last {
            return;
        }
    }
}

fn checkpoint(connection: &Connection, reader: &Mutex<Reader>) {
    // PASSIVE copies (and syncs) the bulk without blocking the writer. Under a steady stream of
    // commits the log would still never start over, so RESTART then copies the few frames
    // committed meanwhile, holding writers back for just that, and lets the next commit write
    // from the log's start again. The store's reader keeps a snapshot open between reads, which
    // RESTART must not find in its way: it is ended, and held off for that moment.
    if let Err(error) = wal_checkpoint(connection, "PASSIVE") {
        tracing::warn!(error = %error, "checkpointing the store's write-ahead log failed");
        return;
    }
    let mut reader = lock(reader);
    let restarted = reader.end().and_then(|()| wal_checkpoint(connection, "RESTART"));
    if let Err(error) = restarted {
        tracing::warn!(error = %error, "restarting the store's write-ahead log failed");
    }
}

fn wal_checkpoint(connection: &Connection, mode: &str) -> Result<(), StoreError> {
    let pragma = format!("PRAGMA wal_checkpoint({mode})");
    connection.query_row(&pragma, [], |_| Ok(()))?;
    Ok(())
}
