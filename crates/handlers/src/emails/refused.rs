//! An email the provider refused for good (`cakeshop_ports::MailRefused`): sending it again
//! would be refused again and hold up the shard, so the refusal is recorded on the order and
//! the record acknowledged; anything else is retried.

use crate::shared::record_error::RecordError;
use cakeshop_domain::{OrderId, Step};
use cakeshop_ports::{Clock, OrderRepository, PortError, error_chain, is_mail_refused};

/// `Ok` once a refusal for good is recorded as `refused` on the order; the error itself if
/// the send may succeed another time.
pub async fn settle_refusal<R: OrderRepository>(
    orders: &R,
    clock: &dyn Clock,
    order_id: &OrderId,
    refused: Step,
    error: PortError,
) -> Result<(), RecordError> {
    if !is_mail_refused(&error) {
        return Err(error.into());
    }
    tracing::warn!(error = %error_chain(&error), %refused, "the email was refused for good; not retried");
    orders.record_step(order_id, refused, clock.now()).await?;
    Ok(())
}
