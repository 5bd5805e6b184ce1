//! `cakeshop dev`: the whole shop on one machine. The same handlers and event types as on AWS,
//! on an embedded SQLite store, with Kinesis, SQS and SES stand-ins that behave like AWS where it
//! matters, all wired from the project's `serverless.yml`.

pub mod assembly;
pub mod aws_backend;
pub mod dead_letters;
pub mod envelopes;
pub mod functions;
pub mod gateway;
pub mod mappings;
pub mod runtime;
pub mod secrets;
pub mod wiring;

pub use functions::Functions;
pub use runtime::{Backend, DevError, DevOptions, RunningShop, offline_functions, start};

pub use cakeshop_ports::error_chain;
