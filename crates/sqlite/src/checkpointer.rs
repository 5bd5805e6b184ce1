//! Copies the write-ahead log back into the database file on a thread of its own, so that no
//! request waits for it: SQLite's automatic checkpoint would otherwise run inside whichever
//! commit crosses the threshold.
//!
//! SQLite reuses the log's file from its start but never shrinks it, so a burst would leave
//! the file as large as the burst made it (and a full disk full). Cutting it back inside a
//! commit stalls that commit, so the file is cut back here instead, and only once the writer
//! has been idle for a whole round: nothing waits for it then.

use crate::error::StoreError;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

/// A log file larger than this is cut back to nothing once the writer is idle.
pub(super) const LARGE_LOG_BYTES: u64 = 1024 * 1024;

/// How often the log is copied back; the log holds about this long's worth of writes.
const EVERY: Duration = Duration::from_millis(200);

/// Stops the checkpointing thread when dropped (with the last handle on the store).
pub(super) struct Checkpointer {
    _stop: Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path` on its own connection; `transactions`
    /// counts the writer's transactions, to tell when it is idle.
    pub(super) fn start(path: &Path, transactions: Arc<AtomicU64>) -> Result<Checkpointer, StoreError> {
        let connection = Connection::open(path)?;
        // Never wait: RESTART holds writers back while it waits, so it only goes ahead when no
        // reader is in the way and the writer is between commits, and otherwise ends as a
        // PASSIVE checkpoint and tries next time.
        connection.busy_timeout(Duration::ZERO)?;
        let (stop, stopped) = channel();
        let log = wal_path(path);
        std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || run(&connection, &log, &transactions, &stopped))
            .map_err(StoreError::Thread)?;
        Ok(Checkpointer { _stop: stop })
    }
}

/// Where SQLite keeps the write-ahead log of the database at `path`.
pub(super) fn wal_path(path: &Path) -> PathBuf {
    let mut log = path.as_os_str().to_owned();
    log.push("-wal");
    PathBuf::from(log)
}

fn run(connection: &Connection, log: &Path, transactions: &AtomicU64, stopped: &Receiver<()>) {
    let mut seen = transactions.load(Ordering::Relaxed);
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
        let now = transactions.load(Ordering::Relaxed);
        let idle = now == seen;
        seen = now;
        if idle && std::fs::metadata(log).is_ok_and(|file| file.len() > LARGE_LOG_BYTES) {
            // Copies what is left and cuts the file to nothing, if no reader is in the way
            // (else it tries next round); a write arriving meanwhile waits the moment it takes.
            run_checkpoint(connection, "TRUNCATE");
        }
    }
}

/// A RESTART checkpoint holds writers back while it copies what the log gained since the last
/// PASSIVE one and syncs the file; PASSIVE ones repeat until that is at most this many pages.
const FEW_FRAMES: i64 = 64;
/// The most PASSIVE rounds before a RESTART, should commits outpace the copying.
const MOST_PASSIVE_ROUNDS: usize = 4;

fn checkpoint(connection: &Connection) {
    // PASSIVE copies (and syncs) the bulk without blocking the writer. Under a steady stream of
    // commits the log would still never start over, so RESTART then copies the few frames
    // committed meanwhile, holding writers back for just that, and lets the next commit write
    // from the log's start again.
    let mut copied = None;
    for _ in 0..MOST_PASSIVE_ROUNDS {
        let Some((log, checkpointed)) = run_checkpoint(connection, "PASSIVE") else {
            return;
        };
        let gained = copied.map_or(log, |before| log - before);
        copied = Some(checkpointed);
        if gained <= FEW_FRAMES {
            break;
        }
    }
    run_checkpoint(connection, "RESTART");
}

/// Runs one checkpoint; the log's size in pages and how many of them are in the file now.
fn run_checkpoint(connection: &Connection, mode: &str) -> Option<(i64, i64)> {
    let pragma = format!("PRAGMA wal_checkpoint({mode})");
    match connection.query_row(&pragma, [], |row| Ok((row.get(1)?, row.get(2)?))) {
        Ok(pages) => Some(pages),
        Err(error) => {
            tracing::warn!(error = %error, mode, "checkpointing the store's write-ahead log failed");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema;
    use rusqlite::Connection;

    /// The log's size in pages, as a PASSIVE checkpoint on `connection` reports it.
    fn log_pages(connection: &Connection) -> i64 {
        connection
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1))
            .expect("checkpoint")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_a_burst_grew_is_cut_back_once_the_writer_is_idle() {
        let data = tempfile::tempdir().expect("temp dir");
        let store = super::super::Store::open(data.path(), 1).expect("store");
        let log = super::wal_path(store.path());
        // A reader that stays in the log (a long scan) keeps it from starting over, as a
        // busy shop's readers may: the burst grows it.
        let pin = Connection::open(store.path()).expect("reader");
        pin.execute_batch("BEGIN; SELECT count(*) FROM stream_checkpoints;")
            .expect("read");
        for n in 0..400 {
            store
                .write(move |connection| {
                    connection.execute(
                        "INSERT INTO stream_checkpoints (consumer, shard, sequence) VALUES (?1, 0, ?2)",
                        rusqlite::params![format!("consumer {n} {}", "x".repeat(2_000)), n],
                    )?;
                    Ok(())
                })
                .await
                .expect("a write during the burst");
        }
        let grown = std::fs::metadata(&log).expect("log").len();
        assert!(
            grown > 2 * super::LARGE_LOG_BYTES,
            "the burst grew the log to {grown} bytes"
        );
        pin.execute_batch("COMMIT").expect("reader done");

        let started = std::time::Instant::now();
        while std::fs::metadata(&log).map_or(0, |file| file.len()) > 64 * 1024 {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "the log stayed at {} bytes",
                std::fs::metadata(&log).map_or(0, |file| file.len())
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let kept: i64 = store
            .with(|connection| {
                Ok(connection.query_row("SELECT count(*) FROM stream_checkpoints", [], |row| row.get(0))?)
            })
            .expect("count");
        assert_eq!(kept, 400, "every write is in the file");
    }

    #[test]
    fn a_checkpoint_copies_the_whole_log_and_lets_the_next_commit_write_from_its_start() {
        let data = tempfile::tempdir().expect("temp dir");
        let path = data.path().join("store.sqlite3");
        let mut writer = Connection::open(&path).expect("open");
        schema::prepare(&mut writer).expect("schema");
        for n in 0..2_000 {
            writer
                .execute(
                    "INSERT INTO stream_checkpoints (consumer, shard, sequence) VALUES (?1, 0, ?2)",
                    rusqlite::params![format!("consumer {n} with a name long enough to fill pages"), n],
                )
                .expect("insert");
        }
        assert!(log_pages(&writer) > 1_000, "every commit appended to the log");

        super::checkpoint(&Connection::open(&path).expect("open"));
        writer
            .execute(
                "UPDATE stream_checkpoints SET sequence = -1 WHERE shard = 0 AND sequence = 0",
                [],
            )
            .expect("one more commit");
        assert!(log_pages(&writer) < 10, "that commit started the log over");
    }
}
