//! Kinesis `order_fulfilled` → `fulfilled → out_for_delivery` and a delivery request on the
//! delivery queue, sent for the whole batch in as few queue calls as possible.

use crate::declare::{Function, NoRoutes, Ports};
use crate::shared::record_error::RecordError;
use crate::shared::stream_batch::handle_per_key;
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::streams::KinesisEventResponse;
use cakeshop_domain::{DeliveryRequest, EventKind, Order, OrderEvent, OrderId, Status, Step, TraceParent};
use cakeshop_ports::config::DELIVERY_QUEUE_URL;
use cakeshop_ports::{Clock, OrderRepository, OutgoingMessage, QueueSender, TransitionOutcome};
use std::convert::Infallible;
use std::sync::Arc;

/// Kinesis `order_fulfilled` → the order goes out for delivery; a request joins the queue.
pub struct RequestDeliveryFunction;

impl Function for RequestDeliveryFunction {
    const NAME: &'static str = "request-delivery";
    const SUMMARY: &'static str = "order_fulfilled → out for delivery; a request on the delivery queue";
    const READS_SECRETS: bool = false;
    type Event = KinesisEvent;
    type Response = KinesisEventResponse;
    type Routes = NoRoutes;
    type Error = Infallible;
    type Handler<P: Ports> = RequestDelivery<P::Orders, P::Queue>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(RequestDelivery::new(
            ports.orders()?,
            ports.queue(DELIVERY_QUEUE_URL)?,
            ports.clock(),
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

/// A delivery request serde_json would not write. Its fields are plain data, so this is not
/// expected; if it happens, the record fails with the cause instead of an empty message going
/// to the courier.
#[derive(Debug, thiserror::Error)]
#[error("the delivery request for order {order_id} could not be written as JSON")]
struct UnwritableRequest {
    order_id: OrderId,
    #[source]
    source: serde_json::Error,
}

pub struct RequestDelivery<R, Q> {
    orders: R,
    delivery_queue: Q,
    clock: Arc<dyn Clock>,
}

impl<R: OrderRepository, Q: QueueSender> RequestDelivery<R, Q> {
    pub fn new(orders: R, delivery_queue: Q, clock: Arc<dyn Clock>) -> Self {
        RequestDelivery {
            orders,
            delivery_queue,
            clock,
        }
    }

    /// Moves the orders, each order's records in turn and different orders concurrently
    /// (see `stream_batch`), then sends one delivery request per order moved before the batch's
    /// first failure (the mapping delivers that record and all after it again). A request the
    /// queue refused fails its record; the replay finds the order already out for delivery and
    /// sends it again. A request that cannot be written is that order's failure, never an
    /// empty message.
    pub async fn handle(&self, event: KinesisEvent) -> KinesisEventResponse {
        let outcomes = handle_per_key(&event.records, &[EventKind::OrderFulfilled], |fulfilled| async move {
            self.move_out_for_delivery(&fulfilled).await
        })
        .await;
        let mut response = KinesisEventResponse::default();
        let mut outgoing = Vec::new();
        for (record, outcome) in event.records.iter().zip(outcomes) {
            let sequence_number = record.kinesis.sequence_number.as_str();
            match outcome {
                Some(Ok(Some(Some(order)))) => match self.delivery_message(sequence_number, &order) {
                    Ok(message) => outgoing.push(message),
                    // Failed like a record whose move failed: the replay finds the order out
                    // for delivery and builds its request again.
                    Err(error) => {
                        tracing::warn!(
                            item = sequence_number,
                            error = %crate::shared::api::error_chain(&error),
                            "record failed; it will be retried"
                        );
                        response.add_failure(sequence_number);
                        break;
                    }
                },
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    response.add_failure(sequence_number);
                    break;
                }
            }
        }
        self.send(&outgoing, &mut response).await;
        response
    }

    /// The order to request a delivery for, or `None` when that was already done.
    async fn move_out_for_delivery(&self, fulfilled: &OrderEvent) -> Result<Option<Order>, RecordError> {
        let order_id = fulfilled.order_id();
        let now = self.clock.now();
        match self
            .orders
            .transition(order_id, Status::Fulfilled, Status::OutForDelivery, now)
            .await?
        {
            TransitionOutcome::Applied(order) => {
                tracing::info!("out for delivery");
                Ok(Some(*order))
            }
            TransitionOutcome::NotFound => Err(RecordError::UnknownOrder(order_id.clone())),
            TransitionOutcome::Conflict(order) => match order.status {
                // A repeat: the request may have been lost before it reached the queue, so it
                // is sent again unless the courier is known to have it.
                Status::OutForDelivery | Status::Delivered if !order.has_step(Step::CourierNotified) => {
                    tracing::info!("delivery already requested; request sent again");
                    Ok(Some(*order))
                }
                Status::OutForDelivery | Status::Delivered => {
                    tracing::info!("courier already has this delivery; repeat skipped");
                    Ok(None)
                }
                // Cancelling and fulfilling race for a placed order and exactly one wins, so a
                // cancelled order was never fulfilled: this event is stray (replayed from
                // somewhere, or forged). The store refused to move the order; nothing goes to
                // the courier, and retrying would never change that.
                Status::Cancelled => {
                    tracing::warn!("order_fulfilled for a cancelled order; no delivery requested");
                    Ok(None)
                }
                status => Err(RecordError::UnexpectedStatus {
                    order_id: order_id.clone(),
                    status,
                }),
            },
        }
    }

    /// The delivery request for `order`, keyed by its record. Never an empty body: a request
    /// that cannot be written fails its record instead.
    fn delivery_message(&self, sequence_number: &str, order: &Order) -> Result<OutgoingMessage, UnwritableRequest> {
        let at = order
            .step_time(Step::DeliveryRequested)
            .unwrap_or_else(|| self.clock.now());
        let request = DeliveryRequest::for_order(order, at);
        let body = serde_json::to_string(&request).map_err(|source| UnwritableRequest {
            order_id: order.order_id.clone(),
            source,
        })?;
        Ok(OutgoingMessage {
            key: sequence_number.to_owned(),
            body,
            trace: order.trace_id.map(|trace| TraceParent::hop(trace, &request.request_id)),
        })
    }

    async fn send(&self, outgoing: &[OutgoingMessage], response: &mut KinesisEventResponse) {
        if outgoing.is_empty() {
            return;
        }
        match self.delivery_queue.send_batch(outgoing).await {
            Ok(report) => {
                tracing::info!(sent = outgoing.len() - report.failed.len(), "delivery requests sent");
                for failed in report.failed {
                    tracing::warn!(
                        sequence_number = failed.key,
                        reason = failed.reason,
                        "delivery request refused"
                    );
                    response.add_failure(failed.key);
                }
            }
            Err(error) => {
                tracing::warn!(error = %crate::shared::api::error_chain(&error), "delivery requests not sent");
                for message in outgoing {
                    response.add_failure(message.key.clone());
                }
            }
        }
    }
}
