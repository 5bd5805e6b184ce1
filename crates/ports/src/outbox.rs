//! The order table's outbox: the events stored changes still owe the stream.
//!
//! Storing an order and putting its event on the stream are two writes, and a crash can fall
//! between them. So the write that creates an order, or moves it into a status that is
//! announced, also marks the event as pending on the order itself; the publisher clears the mark
//! once the event is on the stream. A relay publishes whatever stays marked for too long.

use crate::error::PortError;
use cakeshop_domain::{EventKind, OrderId, Timestamp};
use std::future::Future;

/// An order with events still to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvents {
    pub order_id: OrderId,
    pub kinds: Vec<EventKind>,
    /// When the oldest of them was marked.
    pub since: Timestamp,
}

/// Kept by every `OrderRepository`: `create` marks `order_placed`, and a transition into a
/// status that `EventKind::announcing` names marks that event, in the same conditional write.
pub trait Outbox: Send + Sync {
    /// Orders whose oldest pending event was marked before `marked_before`, oldest first, at
    /// most `limit`. Reads an index of pending orders only, never the whole table.
    fn pending(
        &self,
        marked_before: Timestamp,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PendingEvents>, PortError>> + Send;

    /// Clears the mark once the event is on the stream. Clearing an absent mark (or an unknown
    /// order) is not an error: a relay and the request may both publish.
    fn mark_published(&self, order_id: &OrderId, kind: EventKind)
    -> impl Future<Output = Result<(), PortError>> + Send;
}
