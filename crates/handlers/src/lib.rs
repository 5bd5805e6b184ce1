//! The order lifecycle's handlers.
//!
//! Each takes the event type its trigger delivers (`aws_lambda_events`) and returns the response
//! type that trigger expects, and reaches the outside world only through the ports it is
//! generic over. The same handlers run as Lambda functions and inside `cakeshop dev`.
//!
//! - `functions`: every function declared once; binaries, `cakeshop dev` and tests derive from it.
//! - One module per handler: `place_order`, `notify_baker`, `notify_customer`, `fulfill_order`, `request_delivery`,
//!   `notify_delivery`, `confirm_delivery`, `forward_feedback`, `cancel_order`, `order_queries`
//!   (with `open_orders`), `manage_shop`, `relay_events`.
//! - What they share: `api` (HTTP in and out), `auth`, `stream_batch` and `queue_batch` (partial
//!   batch failures), `record_error`, `announce` (publish, then clear the outbox mark),
//!   `partner_forwarding`, `baker_email`, `customer_email` and `html` (escaping).
//! - `pages`: the storefront, the tracking page and the baker's link page, through maud.

pub mod announce;
pub mod api;
pub mod auth;
pub mod baker_board;
pub mod baker_email;
pub mod baker_session;
pub mod cancel_order;
pub mod confirm_delivery;
pub mod customer_email;
pub mod followed;
pub mod forms;
pub mod forward_feedback;
pub mod fulfill_order;
pub mod functions;
pub mod html;
pub mod manage_shop;
pub mod notify_baker;
pub mod notify_customer;
pub mod notify_delivery;
pub mod open_orders;
pub mod order_queries;
pub mod pages;
pub mod partner_forwarding;
pub mod place_order;
pub mod queue_batch;
pub mod record_error;
pub mod relay_events;
pub mod request_delivery;
pub mod stream_batch;

pub use auth::{BakerKey, Signer};
pub use cancel_order::CancelOrder;
pub use confirm_delivery::ConfirmDelivery;
pub use forward_feedback::ForwardFeedback;
pub use fulfill_order::FulfillOrder;
pub use manage_shop::ManageShop;
pub use notify_baker::{BakerMail, NotifyBaker};
pub use notify_customer::{CustomerMail, NotifyCustomer};
pub use notify_delivery::NotifyDelivery;
pub use order_queries::OrderQueries;
pub use place_order::PlaceOrder;
pub use relay_events::{RelayError, RelayEvents, RelayReport};
pub use request_delivery::RequestDelivery;
