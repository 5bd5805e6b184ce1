//! On a schedule: publishes the events that stored changes still owe the stream.
//!
//! A crash between storing a change and putting its event on the stream leaves the event marked
//! in the outbox (see `cakeshop_ports::Outbox`). Marks older than the longest a request may
//! still be publishing are taken to be orphaned: the relay rebuilds each event from the stored
//! order, under the same event id, publishes it and clears the mark.

use crate::declare::{Answer, Function, IntoAnswer, NoRoutes, Ports};
use crate::shared::announce::announce;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use cakeshop_domain::{EventKind, OrderEvent};
use cakeshop_ports::config::RELAY_AFTER_SECONDS;
use cakeshop_ports::{Clock, EventPublisher, OrderRepository, PendingEvents, PortError, error_chain};
use serde::Serialize;
use std::sync::Arc;

/// On a schedule: publishes the events that stored changes still owe the order stream, once
/// their marks are older than `RELAY_AFTER_SECONDS`.
pub struct RelayEventsFunction;

impl Function for RelayEventsFunction {
    const NAME: &'static str = "relay-events";
    const SUMMARY: &'static str = "every minute: publishes the events stored changes still owe the stream";
    const READS_SECRETS: bool = false;
    type Event = EventBridgeEvent<serde_json::Value>;
    type Response = RelayReport;
    type Routes = NoRoutes;
    type Error = RelayError;
    type Handler<P: Ports> = RelayEvents<P::Orders, P::Events>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(RelayEvents::new(
            ports.orders()?,
            ports.events()?,
            ports.clock(),
            ports.seconds(RELAY_AFTER_SECONDS)?,
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<RelayReport, RelayError> {
        handler.handle(event).await
    }
}

/// Orders read from the outbox per page, and pages per run, so one run stays well inside its
/// timeout; what is left waits for the next run.
const PAGE_SIZE: usize = 100;
const MAX_PAGES_PER_RUN: usize = 20;

pub struct RelayEvents<R, E> {
    orders: R,
    events: E,
    clock: Arc<dyn Clock>,
    relay_after_seconds: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayReport {
    /// Events put on the stream by this run.
    pub published: usize,
    /// Marks dropped because their order or step no longer exists.
    pub dropped: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("reading the outbox failed")]
    Outbox(#[source] PortError),
    #[error("{failed} unpublished events could not be published this run (they stay marked); first failure")]
    Incomplete {
        failed: usize,
        #[source]
        first: PortError,
    },
}

impl<R: OrderRepository, E: EventPublisher> RelayEvents<R, E> {
    pub fn new(orders: R, events: E, clock: Arc<dyn Clock>, relay_after_seconds: i64) -> Self {
        RelayEvents {
            orders,
            events,
            clock,
            relay_after_seconds,
        }
    }

    /// The scheduled event says only that it is time; what to do is in the outbox.
    pub async fn handle(&self, _tick: EventBridgeEvent<serde_json::Value>) -> Result<RelayReport, RelayError> {
        self.relay_due().await
    }

    pub async fn relay_due(&self) -> Result<RelayReport, RelayError> {
        let marked_before = self.clock.now().plus_seconds(-self.relay_after_seconds);
        let mut report = RelayReport::default();
        let mut failures: Vec<PortError> = Vec::new();
        for _ in 0..MAX_PAGES_PER_RUN {
            let page = self
                .orders
                .pending(marked_before, PAGE_SIZE)
                .await
                .map_err(RelayError::Outbox)?;
            for pending in &page {
                if let Err(error) = self.relay(pending, &mut report).await {
                    tracing::error!(order_id = %pending.order_id, error = %error_chain(&error), "relaying failed");
                    failures.push(error);
                }
            }
            // A page with failures would come back the same; leave it to the next run.
            if page.len() < PAGE_SIZE || !failures.is_empty() {
                break;
            }
        }
        if report.published > 0 {
            tracing::info!(published = report.published, "relayed unpublished events");
        }
        let failed = failures.len();
        match failures.into_iter().next() {
            Some(first) => Err(RelayError::Incomplete { failed, first }),
            None => Ok(report),
        }
    }

    async fn relay(&self, pending: &PendingEvents, report: &mut RelayReport) -> Result<(), PortError> {
        let order = self.orders.get(&pending.order_id).await?;
        // order_placed before order_fulfilled, as they happened.
        for kind in EventKind::ALL.into_iter().filter(|kind| pending.kinds.contains(kind)) {
            match order.as_ref().and_then(|order| OrderEvent::rebuilt(kind, order)) {
                Some(event) => {
                    announce(&self.orders, &self.events, &event).await?;
                    report.published += 1;
                }
                None => {
                    tracing::warn!(order_id = %pending.order_id, kind = kind.as_str(), "nothing to publish; mark dropped");
                    self.orders.mark_published(&pending.order_id, kind).await?;
                    report.dropped += 1;
                }
            }
        }
        Ok(())
    }
}

impl IntoAnswer for RelayReport {
    fn into_answer(self) -> Result<Answer, serde_json::Error> {
        serde_json::to_value(self).map(Answer::Schedule)
    }
}
