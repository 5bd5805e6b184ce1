//! Reads on a connection of their own, sharing one read transaction until the next commit.
//!
//! SQLite empties a connection's page cache whenever it starts a read transaction after anything
//! was committed, so a transaction per read fetched every page it touched again, for every read.
//! A read now reuses the open transaction as long as no write has committed since it began:
//! under load many reads share each snapshot and its cached pages, and a read still sees every
//! write acknowledged before it started.

use super::StoreError;
use rusqlite::Connection;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts the commits of this store's writes; counted before any caller hears of its commit.
#[derive(Debug, Default)]
pub(super) struct Commits(AtomicU64);

impl Commits {
    pub(super) fn count(&self) {
        self.0.fetch_add(1, Ordering::Release);
    }

    fn so_far(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

pub(super) struct Reader {
    connection: Connection,
    /// The commit count read before the open transaction began; `None` when none is open.
    snapshot_after: Option<u64>,
}

impl Reader {
    pub(super) fn new(connection: Connection) -> Reader {
        Reader {
            connection,
            snapshot_after: None,
        }
    }

    /// Runs `work` in a read transaction that began after the last counted commit.
    pub(super) fn read<T>(
        &mut self,
        commits: &Commits,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // Read before the transaction begins: its snapshot holds at least this many commits.
        let committed = commits.so_far();
        if self.snapshot_after != Some(committed) {
            self.end()?;
            self.connection.prepare_cached("BEGIN")?.execute([])?;
            self.snapshot_after = Some(committed);
        }
        let result = work(&self.connection);
        if result.is_err() {
            // Start afresh after a failure rather than reason about what it left behind.
            self.end()?;
        }
        result
    }

    /// Ends the open read transaction, if any. Until then the log cannot be copied back past
    /// its snapshot nor start over, so the checkpointer calls this before it checkpoints.
    pub(super) fn end(&mut self) -> Result<(), StoreError> {
        self.snapshot_after = None;
        if !self.connection.is_autocommit() {
            // Only read, so nothing is lost; ROLLBACK also ends a transaction SQLite aborted.
            self.connection.prepare_cached("ROLLBACK")?.execute([])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Store;

    fn count(store: &Store) -> i64 {
        store
            .read(|connection| {
                Ok(connection.query_row("SELECT COUNT(*) FROM stream_checkpoints", [], |row| row.get(0))?)
            })
            .expect("read")
    }

    #[tokio::test]
    async fn a_read_sees_every_write_committed_before_it() {
        let data = tempfile::tempdir().expect("temp dir");
        let store = Store::open(data.path(), 1).expect("store");
        for n in 1..=3i64 {
            // Two reads in a row share a snapshot; the write in between must end it.
            assert_eq!(count(&store), n - 1);
            assert_eq!(count(&store), n - 1);
            store
                .write(move |connection| {
                    connection.execute(
                        "INSERT INTO stream_checkpoints (consumer, shard, sequence) VALUES (?1, 0, 1)",
                        [format!("c{n}")],
                    )?;
                    Ok(())
                })
                .await
                .expect("write");
            assert_eq!(count(&store), n);
        }
        store
            .with(|connection| Ok(connection.execute("DELETE FROM stream_checkpoints", [])?))
            .expect("delete");
        assert_eq!(count(&store), 0);
    }
}
