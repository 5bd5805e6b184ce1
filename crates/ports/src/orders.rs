//! The order table.

use crate::error::PortError;
use cakeshop_domain::{Order, OrderId, Status, Step, Timestamp};
use std::future::Future;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    Created,
    /// An order with this id was already stored; it is returned unchanged.
    AlreadyExists(Box<Order>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionOutcome {
    Applied(Box<Order>),
    NotFound,
    /// The stored status was not the expected one; the order as it is now.
    Conflict(Box<Order>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    Recorded(Box<Order>),
    /// The step had been recorded before (a retry); the order as it is now.
    AlreadyRecorded(Box<Order>),
    NotFound,
}

/// Every implementation also keeps the `Outbox`: creating an order and transitions into an
/// announced status mark their event pending in the same write.
pub trait OrderRepository: crate::Outbox {
    /// Stores a new order unless one with the same id exists (a conditional put).
    fn create(&self, order: &Order) -> impl Future<Output = Result<CreateOutcome, PortError>> + Send;

    fn get(&self, order_id: &OrderId) -> impl Future<Output = Result<Option<Order>, PortError>> + Send;

    /// Moves the order from `from` to `to` and records the step `to` begins with, in one
    /// conditional write that succeeds only if the stored status is still `from`.
    fn transition(
        &self,
        order_id: &OrderId,
        from: Status,
        to: Status,
        at: Timestamp,
    ) -> impl Future<Output = Result<TransitionOutcome, PortError>> + Send;

    /// Records a history step that changes no status (`baker_notified`, `courier_notified`,
    /// `feedback_forwarded`), once: a second call keeps the first time.
    fn record_step(
        &self,
        order_id: &OrderId,
        step: Step,
        at: Timestamp,
    ) -> impl Future<Output = Result<StepOutcome, PortError>> + Send;
}
