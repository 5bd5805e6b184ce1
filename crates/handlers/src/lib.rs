//! The shop's handlers: every function of the order's life, the pages and the emails.
//!
//! Each handler takes the event type its trigger delivers (`aws_lambda_events`) and returns the
//! response type that trigger expects, and reaches the outside world only through the ports it is
//! generic over. The same handlers run as Lambda functions and inside `cakeshop dev`.
//!
//! From a route or trigger in `serverless.yml` to its code: the function's name (`place-order`)
//! is the `NAME` of one declaration, at the top of the module that handles it, with its routes.
//!
//! - `functions`: the list of every function, and what derives from it (binaries, `cakeshop
//!   dev`'s registry, `cakeshop functions`).
//! - `declare`: how a function is declared: `Function`, its trigger, its typed routes, the ports
//!   it is built on, what it reads from its environment.
//! - `orders`: the order's life, a module per function: `place_order`, `fulfill_order`,
//!   `request_delivery`, `notify_delivery`, `confirm_delivery`, `forward_feedback`,
//!   `cancel_order`, `relay_events`, and the reads, `order_queries` (with `open_orders`).
//! - `shop`: manage-shop, the baker's settings (catalogue, capacity, open or closed) and the
//!   storefront's route.
//! - `board`: the baker's board: its page, session and sign-in, and the settings forms.
//! - `pages`: the customers' pages (storefront, tracking) and what every page shares.
//! - `emails`: notify-baker and notify-customer, and the emails they send.
//! - `shared`: what every handler shares: HTTP in and out (`api`), tokens (`auth`), forms, the
//!   stream and queue batches with their partial failures, the outbox's `announce`.

pub mod board;
pub mod declare;
pub mod emails;
pub mod functions;
pub mod orders;
pub mod pages;
pub mod shared;
pub mod shop;

pub use emails::baker_email;
pub use emails::notify_baker::{BakerMail, NotifyBaker};
pub use emails::notify_customer::{CustomerMail, NotifyCustomer};
pub use orders::cancel_order::CancelOrder;
pub use orders::confirm_delivery::ConfirmDelivery;
pub use orders::forward_feedback::ForwardFeedback;
pub use orders::fulfill_order::FulfillOrder;
pub use orders::notify_delivery::NotifyDelivery;
pub use orders::order_queries::OrderQueries;
pub use orders::place_order::PlaceOrder;
pub use orders::relay_events::{RelayError, RelayEvents, RelayReport};
pub use orders::request_delivery::RequestDelivery;
pub use shared::auth::{BakerKey, Signer};
pub use shared::stream_batch;
pub use shop::ManageShop;
