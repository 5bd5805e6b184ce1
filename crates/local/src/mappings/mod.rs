//! Event source mappings: the loops that feed stream records and queue messages to functions
//! the way Lambda's mappings do.

mod failure_record;
mod queue_consumer;
mod stream_consumer;

pub use failure_record::{FailureCondition, StreamFailure};
pub use queue_consumer::QueueConsumer;
pub use stream_consumer::StreamConsumer;

use std::time::Duration;

/// How long a consumer with nothing to do sleeps before looking again even without a wake-up
/// (another process may have written to the store, e.g. `cakeshop dlq redrive`).
pub const IDLE_RECHECK: Duration = Duration::from_millis(500);

/// Pause before retrying a failed batch: short at first, then up to a few seconds.
pub fn retry_backoff(attempt: u32) -> Duration {
    Duration::from_millis((50u64 << attempt.min(6)).min(3_000))
}
