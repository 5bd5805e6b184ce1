//! Putting an event on the stream and then clearing its outbox mark.
//!
//! A change is accepted once it is stored: its outbox mark owes its event from then on, and the
//! relay (`relay_events`) publishes what a request could not. So a request whose publish fails
//! still answers success (`announce_stored`), and a 5xx always means nothing was stored.

use cakeshop_domain::OrderEvent;
use cakeshop_ports::{EventPublisher, Outbox, PortError, error_chain};

/// `announce` for a change a request has just stored: a publish that fails is left to the
/// relay, which finds the mark, so the caller answers success all the same.
pub async fn announce_stored<O: Outbox, E: EventPublisher>(outbox: &O, events: &E, event: &OrderEvent) {
    if let Err(error) = announce(outbox, events, event).await {
        tracing::warn!(
            event_id = event.event_id(),
            error = %error_chain(&error),
            "publishing failed; the change is stored and the outbox relay will publish it"
        );
    }
}

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
