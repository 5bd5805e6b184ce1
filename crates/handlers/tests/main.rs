//! The handlers on the `events/` fixtures and fakes of every port: one handler's output is the next
//! one's input.
//!
//! One test binary for the crate (each file a module), so a change links it once.

mod support;

mod access;
mod batches;
mod board_and_tracking_forms;
mod cancelling;
mod client_limits;
mod concurrent_transitions;
mod customer_emails;
mod emails_refused_for_good;
mod exactly_once_effects;
mod fakes_keep_the_port_contract;
mod fuzz_events;
mod hostile_text_in_email;
mod http_bad_input;
mod lifecycle;
mod managing_the_shop;
mod open_orders;
mod outbox_and_idempotency;
mod pages;
mod placing_orders;
