//! Group commit: writes from every request are queued to one thread, which runs whatever has
//! queued up as one SQLite transaction — each write in a savepoint of its own, so one write's
//! failure undoes only that write — and answers every caller once the whole transaction has
//! committed. Under load a commit (its file locks and log writes) is shared by many writes
//! instead of paid by each; when idle a write commits alone, at once.

use crate::error::StoreError;
use crate::locking::lock;
use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// The most writes one transaction takes; more wait for the next, so that a burst cannot hold
/// the first caller's answer back for long.
const MOST_PER_COMMIT: usize = 256;

/// A queued write: runs in the batch's transaction, or is refused with the batch's error.
trait Job: Send {
    fn run(self: Box<Self>, connection: &Connection) -> Ran;
    fn refuse(self: Box<Self>, error: Arc<rusqlite::Error>);
}

/// A job that has run, waiting for its transaction's fate to answer its caller.
struct Ran {
    /// The savepoint could not be released or rolled back: the transaction must be abandoned.
    broke: Option<rusqlite::Error>,
    answer: Box<dyn FnOnce(Result<(), Arc<rusqlite::Error>>) + Send>,
}

/// A queued write and what to do with its result once its transaction's fate is known.
struct Write<W, A> {
    work: W,
    answer: A,
}

impl<T, W, A> Job for Write<W, A>
where
    T: Send + 'static,
    W: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    A: FnOnce(Result<T, StoreError>) + Send + 'static,
{
    fn run(self: Box<Self>, connection: &Connection) -> Ran {
        let Write { work, answer } = *self;
        let (outcome, broke) = in_savepoint(connection, work);
        Ran {
            broke,
            answer: Box::new(move |committed| {
                answer(match (outcome, committed) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(error)) => Err(StoreError::commit(error)),
                    (Err(error), _) => Err(error),
                });
            }),
        }
    }

    fn refuse(self: Box<Self>, error: Arc<rusqlite::Error>) {
        (self.answer)(Err(StoreError::commit(error)));
    }
}

pub(super) struct Writer {
    jobs: Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the thread that writes on `connection`. It stops when the writer is dropped.
    /// Every transaction it ends, committed or not, adds one to `transactions`.
    pub(super) fn start(
        connection: Arc<Mutex<Connection>>,
        transactions: Arc<AtomicU64>,
    ) -> Result<Writer, StoreError> {
        let (jobs, queued) = channel::<Box<dyn Job>>();
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run(&connection, &queued, &transactions))
            .map_err(StoreError::Thread)?;
        Ok(Writer { jobs })
    }

    /// Runs `work` in the next transaction and returns its result once that has committed.
    pub(super) async fn write<T, W>(&self, work: W) -> Result<T, StoreError>
    where
        T: Send + 'static,
        W: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.write_then(work, || ()).await
    }

    /// `write`, and `settled` runs on the writer once the write is committed or has failed,
    /// even if the caller has gone by then.
    pub(super) async fn write_then<T, W, S>(&self, work: W, settled: S) -> Result<T, StoreError>
    where
        T: Send + 'static,
        W: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        S: FnOnce() + Send + 'static,
    {
        let (sender, answered) = oneshot::channel();
        // The caller may have gone (a dropped request); the write stands all the same.
        let answer = move |result| {
            settled();
            drop(sender.send(result));
        };
        self.jobs
            .send(Box::new(Write { work, answer }))
            .map_err(|_| StoreError::WriterStopped)?;
        answered.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Queues `work` for the next transaction without waiting for it; `what` names it in the
    /// log should it fail. Writes queued later, and reads made through `write`, see it.
    pub(super) fn write_detached<W>(&self, what: &'static str, work: W) -> Result<(), StoreError>
    where
        W: FnOnce(&Connection) -> Result<(), StoreError> + Send + 'static,
    {
        let answer = move |result: Result<(), StoreError>| {
            if let Err(error) = result {
                tracing::warn!(error = %cakeshop_ports::error_chain(&error), what, "a write nobody waited for failed");
            }
        };
        self.jobs
            .send(Box::new(Write { work, answer }))
            .map_err(|_| StoreError::WriterStopped)
    }
}

/// Runs `work` in a savepoint: released when it succeeds, rolled back when it fails or panics.
/// Also returns the error of a savepoint that could not be ended, which dooms the transaction.
fn in_savepoint<T>(
    connection: &Connection,
    work: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> (Result<T, StoreError>, Option<rusqlite::Error>) {
    if let Err(error) = execute(connection, "SAVEPOINT write") {
        return (Err(StoreError::from(error)), None);
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| work(connection))).unwrap_or(Err(StoreError::WritePanicked));
    let ended = match outcome {
        Ok(_) => execute(connection, "RELEASE write"),
        Err(_) => execute(connection, "ROLLBACK TO write").and_then(|()| execute(connection, "RELEASE write")),
    };
    (outcome, ended.err())
}

/// Runs a statement without results, parsed once per connection.
fn execute(connection: &Connection, sql: &str) -> Result<(), rusqlite::Error> {
    connection.prepare_cached(sql)?.execute([]).map(drop)
}

fn run(connection: &Mutex<Connection>, queued: &Receiver<Box<dyn Job>>, transactions: &AtomicU64) {
    // Ends when every sender is gone, that is when the store is dropped.
    while let Ok(first) = queued.recv() {
        let mut batch = vec![first];
        batch.extend(queued.try_iter().take(MOST_PER_COMMIT - 1));
        commit_batch(&lock(connection), batch);
        transactions.fetch_add(1, Ordering::Relaxed);
    }
}

fn commit_batch(connection: &Connection, batch: Vec<Box<dyn Job>>) {
    if let Err(error) = execute(connection, "BEGIN IMMEDIATE") {
        let error = Arc::new(error);
        for job in batch {
            job.refuse(Arc::clone(&error));
        }
        return;
    }
    let mut answers = Vec::with_capacity(batch.len());
    let mut broken = None;
    let mut jobs = batch.into_iter();
    for job in jobs.by_ref() {
        let ran = job.run(connection);
        answers.push(ran.answer);
        if let Some(error) = ran.broke {
            broken = Some(error);
            break;
        }
    }
    let committed = match broken {
        Some(error) => Err(error),
        None => execute(connection, "COMMIT"),
    }
    .map_err(|error| {
        tracing::error!(error = %error, "a batch of store writes failed to commit; rolling it back");
        let _ = execute(connection, "ROLLBACK");
        Arc::new(error)
    });
    for answer in answers {
        answer(committed.clone());
    }
    // Jobs after a broken savepoint never ran.
    if let Err(error) = committed {
        for job in jobs {
            job.refuse(Arc::clone(&error));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Store, StoreError};
    use futures::future::join_all;

    fn sequences(connection: &rusqlite::Connection) -> Result<Vec<i64>, StoreError> {
        let mut statement = connection.prepare("SELECT sequence FROM stream_checkpoints ORDER BY sequence")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<Vec<i64>, _>>()?)
    }

    fn stored(store: &Store) -> Vec<i64> {
        store.with(|connection| sequences(connection)).expect("read back")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_or_panicking_write_undoes_only_itself_in_a_shared_commit() {
        let data = tempfile::tempdir().expect("temp dir");
        let store = Store::open(data.path(), 1).expect("store");
        // Many writes at once, so that they share commits; every seventh fails after writing
        // and every eleventh panics after writing.
        let writes = (1..=300i64).map(|n| {
            let store = store.clone();
            async move {
                store
                    .write(move |connection| {
                        connection.execute(
                            "INSERT INTO stream_checkpoints (consumer, shard, sequence) VALUES (?1, 0, ?2)",
                            rusqlite::params![format!("c{n}"), n],
                        )?;
                        if n % 7 == 0 {
                            return Err(StoreError::WriterStopped);
                        }
                        assert!(n % 11 != 0, "a write that panics");
                        Ok(n)
                    })
                    .await
            }
        });
        let results = join_all(writes).await;
        let kept: Vec<i64> = results.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
        let expected: Vec<i64> = (1..=300).filter(|n| n % 7 != 0 && n % 11 != 0).collect();
        assert_eq!(kept, expected, "exactly the writes that succeeded say so");
        assert_eq!(stored(&store), expected, "and exactly those are stored");
        assert!(matches!(results[10], Err(StoreError::WritePanicked)));
        assert!(matches!(results[6], Err(StoreError::WriterStopped)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_detached_write_is_seen_by_writes_queued_after_it_and_its_failure_undoes_only_itself() {
        let data = tempfile::tempdir().expect("temp dir");
        let store = Store::open(data.path(), 1).expect("store");
        let insert = |connection: &rusqlite::Connection, n: i64| {
            connection.execute(
                "INSERT INTO stream_checkpoints (consumer, shard, sequence) VALUES (?1, 0, ?2)",
                rusqlite::params![format!("c{n}"), n],
            )
        };
        store
            .write_detached("kept", move |connection| Ok(insert(connection, 1).map(drop)?))
            .expect("queued");
        store
            .write_detached("failing", move |connection| {
                insert(connection, 2)?;
                Err(StoreError::WriterStopped)
            })
            .expect("queued");
        let seen = store.write(sequences).await.expect("read through the writer");
        assert_eq!(seen, vec![1], "the write queued after them sees the kept one only");
        assert_eq!(stored(&store), vec![1]);
    }
}
