//! `schedule:` triggers: the function runs once right after start, so a restarted shop catches
//! up at once, and then at its rate, as an EventBridge rule would invoke it.

use crate::arn::{ACCOUNT, REGION};
use crate::lambda::Invoke;
use crate::stopping::Stopping;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use std::time::Duration;

pub struct ScheduledRuns<I> {
    pub function: String,
    pub every: Duration,
    pub timeout: Duration,
    pub invoker: I,
}

impl<I: Invoke> ScheduledRuns<I> {
    /// Runs until `stopping` is asked, ending after the run under way, if any.
    pub fn start(self, stopping: &Stopping) {
        let stops = stopping.clone();
        stopping.spawn(async move {
            while !stops.is_asked() {
                self.run_once().await;
                stops.pause(self.every).await;
            }
        });
    }

    async fn run_once(&self) {
        let run = self.invoker.scheduled(&self.function, scheduled_event(&self.function));
        match tokio::time::timeout(self.timeout, run).await {
            Ok(Ok(result)) => tracing::debug!(function = self.function, %result, "scheduled run done"),
            // As with a failed EventBridge target, the next tick tries again.
            Ok(Err(error)) => {
                tracing::warn!(function = self.function, error = %cakeshop_ports::error_chain(&error), "scheduled run failed")
            }
            Err(_) => tracing::warn!(function = self.function, "scheduled run timed out"),
        }
    }
}

/// The event EventBridge sends a function on a `schedule:` rule.
pub fn scheduled_event(function: &str) -> EventBridgeEvent<serde_json::Value> {
    let mut event = EventBridgeEvent::default();
    event.version = Some("0".into());
    event.detail_type = "Scheduled Event".into();
    event.source = "aws.events".into();
    event.region = Some(REGION.into());
    event.resources = Some(vec![format!(
        "arn:aws:events:{REGION}:{ACCOUNT}:rule/{function}-schedule"
    )]);
    event.detail = serde_json::json!({});
    event
}
