//! The order stream.

use crate::error::PortError;
use cakeshop_domain::OrderEvent;
use std::future::Future;

pub trait EventPublisher: Send + Sync {
    /// Puts the event on the stream with the order id as partition key.
    fn publish(&self, event: &OrderEvent) -> impl Future<Output = Result<(), PortError>> + Send;
}
