//! The order table.

use crate::error::PortError;
use cakeshop_domain::{Cancellation, Order, OrderId, Status, Step, Timestamp};
use std::future::Future;

/// A place in a listing of one status: the listing goes on after the order created at
/// `created_at` with id `order_id`. Orders are listed by creation time, then by id, so two orders
/// placed in the same millisecond still have a fixed order and a page boundary between them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StatusCursor {
    pub created_at: Timestamp,
    pub order_id: OrderId,
}

impl StatusCursor {
    /// The cursor just after this order.
    pub fn after(order: &Order) -> StatusCursor {
        StatusCursor {
            created_at: order.created_at,
            order_id: order.order_id.clone(),
        }
    }
}

/// One page of a listing by status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPage {
    /// Oldest first.
    pub orders: Vec<Order>,
    /// Where the next page starts; `None` when no order in the status followed this page.
    pub next: Option<StatusCursor>,
}

impl StatusPage {
    /// A page from up to `limit + 1` orders read in listing order: the extra one only says
    /// whether there is a next page.
    pub fn from_one_more_than(mut orders: Vec<Order>, limit: usize) -> StatusPage {
        let more = orders.len() > limit;
        orders.truncate(limit);
        let next = if more {
            orders.last().map(StatusCursor::after)
        } else {
            None
        };
        StatusPage { orders, next }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    Created,
    /// An order with this id was already stored; it is returned unchanged.
    AlreadyExists(Box<Order>),
    /// The order's delivery day could not take its quantity: `booked` cakes were already
    /// taken. Nothing was written.
    DayFull {
        booked: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionOutcome {
    Applied(Box<Order>),
    NotFound,
    /// The stored status was not the expected one, or the move is not a legal one
    /// (`Status::can_become`); the order as it is now.
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
pub trait OrderRepository: crate::outbox::Outbox {
    /// Stores a new order unless one with the same id exists, and takes its quantity from its
    /// delivery day's count of booked cakes unless that would pass `day_capacity`: both or
    /// neither, in one write (on DynamoDB a transaction of the order's conditional put and the
    /// day's conditional counter). An existing order wins over a full day: a repeat finds it.
    fn create(&self, order: &Order, day_capacity: u32)
    -> impl Future<Output = Result<CreateOutcome, PortError>> + Send;

    fn get(&self, order_id: &OrderId) -> impl Future<Output = Result<Option<Order>, PortError>> + Send;

    /// Moves the order from `from` to `to` and records the step `to` begins with, in one
    /// conditional write that succeeds only if the stored status is still `from`. A move the
    /// domain does not allow (`Status::can_become`) writes nothing, whatever is stored: it is a
    /// `Conflict` with the order as it is, or `NotFound`.
    fn transition(
        &self,
        order_id: &OrderId,
        from: Status,
        to: Status,
        at: Timestamp,
    ) -> impl Future<Output = Result<TransitionOutcome, PortError>> + Send;

    /// Cancels `placed` (as read by the caller: a cancel needs its day and quantity), in one
    /// write that succeeds only while the stored order is still `placed`: the status becomes
    /// `cancelled` with the `cancelled` step and `cancellation`, `order_cancelled` is marked
    /// pending, and the order's quantity is given back to its day. Racing a fulfilment, exactly
    /// one wins; the loser sees a `Conflict` with the order as it is.
    fn cancel(
        &self,
        placed: &Order,
        cancellation: &Cancellation,
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

    /// Orders now in `status`, oldest first (ties by id), at most `limit`, starting after
    /// `after`. Reads an index on (status, creation time), never the whole table, so a page
    /// costs the same with ten orders stored or a million.
    fn list_by_status(
        &self,
        status: Status,
        limit: usize,
        after: Option<&StatusCursor>,
    ) -> impl Future<Output = Result<StatusPage, PortError>> + Send;
}
