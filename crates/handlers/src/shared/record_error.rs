//! Why one stream record or queue message could not be handled. Every variant makes the record
//! a batch-item failure, so it is retried and, in the end, kept in a dead-letter destination.

use crate::shared::api::error_chain;
use cakeshop_domain::{EventDecodeError, MessageDecodeError, OrderId, Status};
use cakeshop_ports::{PartnerError, PortError};

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("undecodable stream record")]
    Event(#[from] EventDecodeError),
    #[error("undecodable queue message")]
    Message(#[from] MessageDecodeError),
    #[error("a service call failed")]
    Port(#[from] PortError),
    #[error("the partner call failed")]
    Partner(#[from] PartnerError),
    #[error("order {0} does not exist")]
    UnknownOrder(OrderId),
    #[error("order {order_id} is {status}, which this event cannot follow")]
    UnexpectedStatus { order_id: OrderId, status: Status },
}

impl RecordError {
    /// Logs the failure with its whole cause chain.
    pub fn log(&self, item: &str) {
        tracing::warn!(item, error = %error_chain(self), "record failed; it will be retried");
    }
}
