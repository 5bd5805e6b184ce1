//! Time and identity, as ports so that tests and fixtures are reproducible.

use cakeshop_domain::{OrderId, Timestamp};

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

pub trait IdGenerator: Send + Sync {
    fn order_id(&self) -> OrderId;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_datetime(time::OffsetDateTime::now_utc())
    }
}

/// Random (v4 UUID) order ids: unguessable, so an id alone reveals nothing about other orders.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn order_id(&self) -> OrderId {
        let text = uuid::Uuid::new_v4().simple().to_string();
        // A simple UUID is 32 lowercase hex digits, always a valid order id.
        OrderId::parse(&text).unwrap_or_else(|_| unreachable!("uuid {text} is a valid order id"))
    }
}
