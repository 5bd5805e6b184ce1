//! Lambda: invoking functions by name, and what every event source mapping shares.
//!
//! - `invoke`: the `Invoke` trait the gateway and the mappings call, and `Functions`, the
//!   declared functions built on one backend.
//! - `mapping`: a mapping source's errors, idle waits and retry backoff.

mod invoke;
mod mapping;

pub use invoke::{Functions, Invoke, InvokeError};
pub use mapping::{IDLE_RECHECK, SourceError, retry_backoff};
