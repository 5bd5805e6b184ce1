//! A Kinesis event source mapping's settings, as `serverless.yml` gives them.

use super::FilterPattern;

#[derive(Debug, Clone, PartialEq)]
pub struct StreamMapping {
    pub batch_size: usize,
    pub batching_window_ms: u64,
    /// A record is delivered if it matches any pattern (or if there are none).
    pub filters: Vec<FilterPattern>,
    pub report_batch_item_failures: bool,
    pub bisect_on_error: bool,
    /// `None`: retry until the record expires, as AWS does for -1.
    pub maximum_retry_attempts: Option<u32>,
    pub maximum_record_age_seconds: Option<u64>,
    /// Logical id of the on-failure destination queue.
    pub on_failure_queue: Option<String>,
}
