//! The emails: the two functions that send them and what they send.
//!
//! - `notify_baker`: `order_placed` (and a customer's `order_cancelled`) → the baker's email
//!   (`baker_email`), with a signed link to mark the cake ready.
//! - `notify_customer`: `order_placed`, `order_fulfilled`, `order_cancelled` → the customer's
//!   email (`customer_email`) with their tracking link.
//! - `html`: escaping for the emails' HTML; `refused`: an email refused for good.

pub mod baker_email;
pub mod customer_email;
pub mod html;
pub mod notify_baker;
pub mod notify_customer;
pub mod refused;
