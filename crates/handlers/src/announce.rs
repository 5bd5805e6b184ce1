//! Putting an event on the stream and then clearing its outbox mark.

use cakeshop_domain::OrderEvent;
use cakeshop_ports::{EventPublisher, Outbox, PortError, error_chain};

/// Publishes `event`, then clears the mark its stored change left in the outbox. A mark that
/// fails to clear is only logged: it makes the relay publish the event once more, under the
/// same event id, which consumers drop.
pub async fn announce<O: Outbox, E: EventPublisher>(
    outbox: &O,
    events: &E,
    event: &OrderEvent,
) -> Result<(), PortError> {
    events.publish(event).await?;
    if let Err(error) = outbox.mark_published(event.order_id(), event.kind()).await {
        tracing::warn!(event_id = event.event_id(), error = %error_chain(&error), "clearing the outbox mark failed");
    }
    Ok(())
}
