//! A clean stop: the mappings' loops run as tasks of one `Stopping`, and check it between
//! batches, never in the middle of one. Asked to stop, each finishes the batch it holds (its
//! invocation, deletes and checkpoint), then ends, so nothing is handed over twice after a
//! restart.

use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Clone, Default)]
pub struct Stopping {
    asked: CancellationToken,
    tasks: TaskTracker,
}

impl Stopping {
    /// Runs `task` as one of the loops a stop waits for.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(task);
    }

    pub fn is_asked(&self) -> bool {
        self.asked.is_cancelled()
    }

    /// Resolves once a stop is asked for.
    pub async fn asked(&self) {
        self.asked.cancelled().await;
    }

    /// Waits up to `most` for `work`, or less if a stop is asked for meanwhile; `None` if
    /// it did not finish.
    pub async fn wait_for<T>(&self, most: Duration, work: impl Future<Output = T>) -> Option<T> {
        tokio::select! {
            biased;
            () = self.asked.cancelled() => None,
            outcome = tokio::time::timeout(most, work) => outcome.ok(),
        }
    }

    /// Sleeps for `most`, or less if a stop is asked for meanwhile.
    pub async fn pause(&self, most: Duration) {
        self.wait_for(most, std::future::pending::<()>()).await;
    }

    /// Asks every loop to stop and waits up to `most` for them; `false` if some were still
    /// busy then.
    pub async fn stop(&self, most: Duration) -> bool {
        self.asked.cancel();
        self.tasks.close();
        tokio::time::timeout(most, self.tasks.wait()).await.is_ok()
    }
}
