//! Copies the write-ahead log back into the database file on a thread of its own, so that no
//! request waits for it: SQLite's automatic checkpoint would otherwise run inside whichever
//! commit crosses the threshold.

use super::StoreError;
use rusqlite::Connection;
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

/// How often the log is copied back; the log holds about this long's worth of writes.
const EVERY: Duration = Duration::from_millis(200);

/// Stops the checkpointing thread when dropped (with the last handle on the store).
pub(super) struct Checkpointer {
    _stop: Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path` on its own connection.
    pub(super) fn start(path: &Path) -> Result<Checkpointer, StoreError> {
        let connection = Connection::open(path)?;
        // Never wait: RESTART holds writers back while it waits, so it only goes ahead when no
        // reader is in the way, and otherwise ends as a PASSIVE checkpoint and tries next time.
        connection.busy_timeout(Duration::ZERO)?;
        let (stop, stopped) = channel();
        std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || run(&connection, &stopped))
            .map_err(StoreError::Thread)?;
        Ok(Checkpointer { _stop: stop })
    }
}

fn run(connection: &Connection, stopped: &Receiver<()>) {
    loop {
        match stopped.recv_timeout(EVERY) {
            Err(RecvTimeoutError::Timeout) => {}
            // The store was dropped (nothing is ever sent): one last copy, then stop.
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                checkpoint(connection);
                return;
            }
        }
        checkpoint(connection);
    }
}

fn checkpoint(connection: &Connection) {
    // PASSIVE copies (and syncs) the bulk without blocking the writer. Under a steady stream of
    // commits the log would still never start over, so RESTART then copies the few frames
    // committed meanwhile, holding writers back for just that, and lets the next commit write
    // from the log's start again.
    for mode in ["PASSIVE", "RESTART"] {
        let pragma = format!("PRAGMA wal_checkpoint({mode})");
        if let Err(error) = connection.query_row(&pragma, [], |_| Ok(())) {
            tracing::warn!(error = %error, mode, "checkpointing the store's write-ahead log failed");
            return;
        }
    }
}
