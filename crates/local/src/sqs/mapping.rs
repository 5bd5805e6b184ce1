//! An SQS event source mapping's settings and its queue's, as `serverless.yml` gives them.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMapping {
    /// Logical id of the source queue.
    pub queue: String,
    pub batch_size: usize,
    pub batching_window_ms: u64,
    pub report_batch_item_failures: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub logical_id: String,
    pub visibility_timeout_seconds: u64,
    pub redrive: Option<RedriveSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedriveSpec {
    pub dead_letter_queue: String,
    pub max_receive_count: u32,
}
