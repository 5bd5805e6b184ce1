//! DynamoDB: the orders, and beside them in the same table the shop's rules and each day's
//! booked count, so that placing an order and taking its cakes from its day is one transaction.
//!
//! - `orders`: `DynamoOrders`, the orders port (get, transitions, steps), with `booking`
//!   (create and cancel, the day's counter in the same transaction), `bakery` (the rules and the
//!   counters), `outbox` (the events stored changes still owe the stream) and `by_status` (the
//!   baker's listing).
//! - The items as stored: `order_item` (an order), `outbox_item` (its pending events and the
//!   sparse pending-events index), `status_index` (the orders-by-status index), `bakery_item`
//!   (the rules and counters), `limit_item` (a client limit's counter, with its time to live).
//! - `order_table`: the table and its indexes, defined as `serverless.yml` defines them.

pub mod bakery_item;
pub mod limit_item;
pub mod order_item;
pub mod order_table;
pub mod orders;
pub mod outbox_item;
pub mod status_index;

pub use orders::DynamoOrders;
pub use outbox_item::PENDING_EVENTS_INDEX;
pub use status_index::ORDERS_BY_STATUS_INDEX;
