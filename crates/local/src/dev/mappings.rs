//! Starting every function's mapping as the wiring says, on whichever sources a backend gives:
//! the one place that turns `serverless.yml` triggers into running consumers.

use crate::eventbridge::ScheduledRuns;
use crate::kinesis::{ShardSource, StreamConsumer};
use crate::lambda::Invoke;
use crate::serverless::{QueueSpec, Trigger, Wiring, WiringError};
use crate::sqs::{MessageSource, QueueConsumer};
use crate::stopping::Stopping;
use cakeshop_ports::QueueSender;
use std::sync::Arc;
use std::time::Duration;

/// What a backend provides to the mappings.
pub trait MappingSources {
    type Shards: ShardSource;
    type Messages: MessageSource;
    type Destination: QueueSender + 'static;

    fn shards(&self) -> Self::Shards;
    fn stream_arn(&self) -> String;
    /// The queue with this logical id, as an on-failure destination.
    fn destination(&self, queue: &str) -> Result<Self::Destination, WiringError>;
    /// The queue with this logical id (and its settings), as a mapping's source.
    fn messages(&self, spec: &QueueSpec) -> Result<Self::Messages, WiringError>;
    fn queue_arn(&self, queue: &str) -> Result<String, WiringError>;
    /// Batches in flight at once per queue mapping.
    fn queue_concurrency(&self) -> usize;
}

/// Starts every mapping; `schedule_override`, if set, runs scheduled functions that often
/// instead of at their rate (a minute is long to wait in a test or a demo).
pub fn start_all<I: Invoke + Clone, S: MappingSources>(
    wiring: &Wiring,
    sources: &S,
    invoker: &I,
    schedule_override: Option<Duration>,
    stopping: &Stopping,
) -> Result<(), WiringError> {
    for function in &wiring.functions {
        let timeout = Duration::from_secs(function.timeout_seconds);
        match &function.trigger {
            None => {}
            Some(Trigger::Stream(mapping)) => Arc::new(StreamConsumer {
                function: function.name.clone(),
                mapping: mapping.clone(),
                timeout,
                stream: sources.shards(),
                stream_arn: sources.stream_arn(),
                on_failure: match mapping.on_failure_queue.as_deref() {
                    Some(queue) => Some(sources.destination(queue)?),
                    None => None,
                },
                invoker: invoker.clone(),
            })
            .start(stopping),
            Some(Trigger::Queue(mapping)) => {
                let spec = wiring.queue(&mapping.queue).ok_or_else(|| WiringError::Unusable {
                    location: format!("function {}", function.name),
                    problem: format!("queue {} is not defined", mapping.queue),
                })?;
                Arc::new(QueueConsumer {
                    function: function.name.clone(),
                    mapping: mapping.clone(),
                    timeout,
                    queue: sources.messages(spec)?,
                    queue_arn: sources.queue_arn(&mapping.queue)?,
                    invoker: invoker.clone(),
                    concurrency: sources.queue_concurrency(),
                })
                .start(stopping)
            }
            Some(Trigger::Schedule(schedule)) => ScheduledRuns {
                function: function.name.clone(),
                every: schedule_override.unwrap_or(schedule.every),
                timeout,
                invoker: invoker.clone(),
            }
            .start(stopping),
        }
    }
    Ok(())
}
