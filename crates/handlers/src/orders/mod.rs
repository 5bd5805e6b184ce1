//! The order's life, one module per function, each opening with its declaration (name, routes,
//! how it is built):
//!
//! - `place_order`: `POST /order` → placed, `order_placed` (`day_booking`: which day, and
//!   storing it there).
//! - `fulfill_order`: `GET|POST /order/fulfilled` → fulfilled, `order_fulfilled` (the baker's
//!   email link, the board's "Mark ready", the API).
//! - `request_delivery`: `order_fulfilled` → out for delivery, a delivery request queued.
//! - `notify_delivery`: the delivery queue → the delivery company's API.
//! - `confirm_delivery`: `POST /order/delivered` → delivered, the feedback queued.
//! - `forward_feedback`: the feedback queue → customer service's API.
//! - `cancel_order`: `POST /order/cancelled` → cancelled, `order_cancelled` (the customer, or the
//!   baker declining from the board).
//! - `relay_events`: on a schedule, the events stored changes still owe the stream.
//! - `order_queries`: the reads: `GET /order/{orderId}`, `GET /orders` (`open_orders`), the
//!   tracking page and the board's routes (`board`).

pub mod cancel_order;
pub mod confirm_delivery;
pub mod forward_feedback;
pub mod fulfill_order;
pub mod notify_delivery;
pub mod open_orders;
pub mod order_queries;
pub mod place_order;
pub mod relay_events;
pub mod request_delivery;
