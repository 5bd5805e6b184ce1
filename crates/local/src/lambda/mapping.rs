//! What Lambda's event source mappings share, whatever they read: how a failed read of their
//! source is reported, how long an idle one waits and how a failed batch backs off. The
//! mappings themselves are with the service they read: `kinesis::StreamConsumer`,
//! `sqs::QueueConsumer`.

use std::time::Duration;

/// How long a consumer with nothing to do waits before looking again even without a wake-up
/// (another process may have written to the store, e.g. `cakeshop dlq redrive`; a real stream
/// cannot signal at all).
pub const IDLE_RECHECK: Duration = Duration::from_millis(500);

/// Pause before retrying a failed batch: short at first, then up to a few seconds.
pub fn retry_backoff(attempt: u32) -> Duration {
    Duration::from_millis((50u64 << attempt.min(6)).min(3_000))
}

/// A read or write of a source that failed; the mapping logs it and tries again.
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed")]
pub struct SourceError {
    pub operation: &'static str,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl SourceError {
    pub fn new(operation: &'static str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> SourceError {
        SourceError {
            operation,
            source: source.into(),
        }
    }
}
