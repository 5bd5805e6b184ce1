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
pub mod store;
pub mod wiring;

pub use runtime::{Backend, DevError, DevOptions, LocalFunctions, RunningShop, offline_functions, start};

/// An error and its causes on one line: `a: b: c`.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
