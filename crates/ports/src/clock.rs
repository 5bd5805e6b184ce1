//! Time and identity, as ports so that tests and fixtures are reproducible.

use cakeshop_domain::{OrderId, Timestamp, TraceId};

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

pub trait IdGenerator: Send + Sync {
    fn order_id(&self) -> OrderId;

    /// A new trace, for a request that came without one: 16 random bytes.
    fn trace_id(&self) -> TraceId {
        loop {
            // All zero (probability 2^-122) is no trace id: draw again.
            if let Some(trace) = TraceId::from_bytes(uuid::Uuid::new_v4().into_bytes()) {
                return trace;
            }
        }
    }
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_datetime(time::OffsetDateTime::now_utc())
    }
}

/// Order ids that are v7 UUIDs: the time in milliseconds, then 74 random bits. The random bits
/// keep them unguessable (an id reveals nothing about other orders, only when its own order was
/// placed); the time first puts new orders at the end of every index keyed by id, so a store
/// writes a few pages per batch of orders instead of one page for each.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeOrderedIds;

impl IdGenerator for TimeOrderedIds {
    fn order_id(&self) -> OrderId {
        let text = uuid::Uuid::now_v7().simple().to_string();
        // A simple UUID is 32 lowercase hex digits, always a valid order id.
        OrderId::parse(&text).unwrap_or_else(|_| unreachable!("uuid {text} is a valid order id"))
    }
}
