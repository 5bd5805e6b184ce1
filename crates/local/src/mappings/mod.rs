//! Event source mappings: the loops that feed stream records and queue messages to functions
//! the way Lambda's mappings do, from the local store or from a real (or emulated) AWS.

mod failure_record;
mod local_sources;
mod queue_consumer;
mod scheduler;
pub mod sources;
mod stream_consumer;
mod wire;

pub use failure_record::{FailureCondition, StreamFailure};
pub use local_sources::{LocalMessages, LocalShards, source_record};
pub use queue_consumer::QueueConsumer;
pub use scheduler::ScheduledRuns;
pub use sources::{MessageSource, ReceivedMessage, SequenceNumber, ShardSource, SourceError, SourceRecord};
pub use stream_consumer::StreamConsumer;
pub use wire::{MappingSources, start_all};

use std::time::Duration;

/// How long a consumer with nothing to do waits before looking again even without a wake-up
/// (another process may have written to the store, e.g. `cakeshop dlq redrive`; a real stream
/// cannot signal at all).
pub const IDLE_RECHECK: Duration = Duration::from_millis(500);

/// Pause before retrying a failed batch: short at first, then up to a few seconds.
pub fn retry_backoff(attempt: u32) -> Duration {
    Duration::from_millis((50u64 << attempt.min(6)).min(3_000))
}
