//! Lambda: invoking functions by name, and what every event source mapping shares.
//!
//! - `invoke`: the `Invoke` trait the gateway and the mappings call, and `Functions`, the
//!   declared functions built on one backend.
//! - `invocations`: the recent invocations of every function, for the console.
//! - `mapping`: a mapping source's errors, idle waits and retry backoff.

pub mod invocations;
mod invoke;
mod mapping;

pub use invoke::{Functions, Invoke, InvokeError};
pub use mapping::{IDLE_RECHECK, SourceError, retry_backoff};
