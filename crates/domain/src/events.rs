//! The events the order table's owner puts on the stream, named by what happened.

use crate::order::{Cancellation, Order, OrderId};
use crate::status::{Status, Step};
use crate::timestamp::Timestamp;
use crate::trace::TraceParent;
use serde::{Deserialize, Serialize};

/// The version written into every event; readers refuse versions newer than they understand.
pub const EVENT_SCHEMA_VERSION: u32 = 1;

/// An event on the order stream, tagged by `type`.
///
/// The event id is derived from the order and the kind of event: an order is placed once and
/// fulfilled once, so a producer that retries writes the same id again and consumers can drop
/// the repeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum OrderEvent {
    OrderPlaced {
        event_id: String,
        schema_version: u32,
        order_id: OrderId,
        occurred_at: Timestamp,
        /// The order as placed, so consumers can act without another read.
        order: Box<Order>,
        /// Whether the customer gave an email address, so that a consumer mailing them can be
        /// spared the records of those who did not (by its filter). `None` in records written
        /// before the field existed: such a consumer reads the order to know.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer_has_email: Option<bool>,
        /// The order's trace, which whoever handles this record continues.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        traceparent: Option<TraceParent>,
    },
    OrderFulfilled {
        event_id: String,
        schema_version: u32,
        order_id: OrderId,
        occurred_at: Timestamp,
        /// Whether the customer gave an email address, so that a consumer mailing them can be
        /// spared the records of those who did not (by its filter). `None` in records written
        /// before the field existed: such a consumer reads the order to know.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer_has_email: Option<bool>,
        /// The order's trace, which whoever handles this record continues.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        traceparent: Option<TraceParent>,
    },
    /// The customer cancelled, or the baker declined; the day's capacity is back.
    OrderCancelled {
        event_id: String,
        schema_version: u32,
        order_id: OrderId,
        occurred_at: Timestamp,
        cancellation: Cancellation,
        /// Whether the customer gave an email address, so that a consumer mailing them can be
        /// spared the records of those who did not (by its filter). `None` in records written
        /// before the field existed: such a consumer reads the order to know.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer_has_email: Option<bool>,
        /// The order's trace, which whoever handles this record continues.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        traceparent: Option<TraceParent>,
    },
}

/// The kinds of event, for routing and filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    OrderPlaced,
    OrderFulfilled,
    OrderCancelled,
}

impl EventKind {
    pub const ALL: [EventKind; 3] = [
        EventKind::OrderPlaced,
        EventKind::OrderFulfilled,
        EventKind::OrderCancelled,
    ];

    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The event an order owes the stream when it enters `status`, if any.
    pub fn announcing(status: Status) -> Option<EventKind> {
        match status {
            Status::Placed => Some(EventKind::OrderPlaced),
            Status::Fulfilled => Some(EventKind::OrderFulfilled),
            Status::Cancelled => Some(EventKind::OrderCancelled),
            Status::OutForDelivery | Status::Delivered => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::OrderPlaced => "order_placed",
            EventKind::OrderFulfilled => "order_fulfilled",
            EventKind::OrderCancelled => "order_cancelled",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EventDecodeError {
    #[error("the record is not a JSON event: {0}")]
    NotJson(#[source] serde_json::Error),
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("event schema version {found} is newer than {EVENT_SCHEMA_VERSION}, the newest this reader knows")]
    UnsupportedVersion { found: u64 },
    #[error("the {kind} event is malformed: {source}")]
    Malformed {
        kind: String,
        #[source]
        source: serde_json::Error,
    },
}

impl OrderEvent {
    pub fn order_placed(order: &Order, at: Timestamp) -> OrderEvent {
        OrderEvent::OrderPlaced {
            event_id: event_id(EventKind::OrderPlaced, &order.order_id),
            schema_version: EVENT_SCHEMA_VERSION,
            order_id: order.order_id.clone(),
            occurred_at: at,
            customer_has_email: Some(order.customer.email.is_some()),
            order: Box::new(order.clone()),
            traceparent: None,
        }
        .in_trace_of(order)
    }

    /// The event of `kind` rebuilt from the stored order, for a relay finishing a publish that a
    /// crash interrupted. Same event id as the first attempt, so consumers see one event.
    /// `None` if the order never reached the status that event announces.
    pub fn rebuilt(kind: EventKind, order: &Order) -> Option<OrderEvent> {
        match kind {
            EventKind::OrderPlaced => Some(OrderEvent::order_placed(&order.as_placed(), order.created_at)),
            EventKind::OrderFulfilled => order.step_time(Step::Fulfilled).map(|at| {
                OrderEvent::order_fulfilled(&order.order_id, at)
                    .about_customer_of(order)
                    .in_trace_of(order)
            }),
            EventKind::OrderCancelled => {
                let at = order.step_time(Step::Cancelled)?;
                let cancellation = order.cancellation.clone()?;
                Some(
                    OrderEvent::order_cancelled(&order.order_id, cancellation, at)
                        .about_customer_of(order)
                        .in_trace_of(order),
                )
            }
        }
    }

    /// The event, saying whether `order`'s customer gave an email address.
    pub fn about_customer_of(mut self, order: &Order) -> OrderEvent {
        let has_email = Some(order.customer.email.is_some());
        match &mut self {
            OrderEvent::OrderPlaced { customer_has_email, .. }
            | OrderEvent::OrderFulfilled { customer_has_email, .. }
            | OrderEvent::OrderCancelled { customer_has_email, .. } => *customer_has_email = has_email,
        }
        self
    }

    /// The event as a hop of `order`'s trace, named by its event id (so a republished event is
    /// the same hop). Unchanged for an order that keeps no trace.
    pub fn in_trace_of(mut self, order: &Order) -> OrderEvent {
        let hop = order.trace_id.map(|trace| TraceParent::hop(trace, self.event_id()));
        match &mut self {
            OrderEvent::OrderPlaced { traceparent, .. }
            | OrderEvent::OrderFulfilled { traceparent, .. }
            | OrderEvent::OrderCancelled { traceparent, .. } => *traceparent = hop,
        }
        self
    }

    /// The trace context the record carries, if its order keeps one.
    pub fn traceparent(&self) -> Option<TraceParent> {
        match self {
            OrderEvent::OrderPlaced { traceparent, .. }
            | OrderEvent::OrderFulfilled { traceparent, .. }
            | OrderEvent::OrderCancelled { traceparent, .. } => *traceparent,
        }
    }

    /// Whether the customer gave an email address, if the record says.
    pub fn customer_has_email(&self) -> Option<bool> {
        match self {
            OrderEvent::OrderPlaced { order, .. } => Some(order.customer.email.is_some()),
            OrderEvent::OrderFulfilled { customer_has_email, .. }
            | OrderEvent::OrderCancelled { customer_has_email, .. } => *customer_has_email,
        }
    }

    /// (Whether the customer gave an email stays unsaid: `about_customer_of` says it.)
    pub fn order_cancelled(order_id: &OrderId, cancellation: Cancellation, at: Timestamp) -> OrderEvent {
        OrderEvent::OrderCancelled {
            event_id: event_id(EventKind::OrderCancelled, order_id),
            schema_version: EVENT_SCHEMA_VERSION,
            order_id: order_id.clone(),
            occurred_at: at,
            cancellation,
            customer_has_email: None,
            traceparent: None,
        }
    }

    /// (Whether the customer gave an email stays unsaid: `about_customer_of` says it.)
    pub fn order_fulfilled(order_id: &OrderId, at: Timestamp) -> OrderEvent {
        OrderEvent::OrderFulfilled {
            event_id: event_id(EventKind::OrderFulfilled, order_id),
            schema_version: EVENT_SCHEMA_VERSION,
            order_id: order_id.clone(),
            occurred_at: at,
            customer_has_email: None,
            traceparent: None,
        }
    }

    pub fn kind(&self) -> EventKind {
        match self {
            OrderEvent::OrderPlaced { .. } => EventKind::OrderPlaced,
            OrderEvent::OrderFulfilled { .. } => EventKind::OrderFulfilled,
            OrderEvent::OrderCancelled { .. } => EventKind::OrderCancelled,
        }
    }

    pub fn event_id(&self) -> &str {
        match self {
            OrderEvent::OrderPlaced { event_id, .. }
            | OrderEvent::OrderFulfilled { event_id, .. }
            | OrderEvent::OrderCancelled { event_id, .. } => event_id,
        }
    }

    pub fn order_id(&self) -> &OrderId {
        match self {
            OrderEvent::OrderPlaced { order_id, .. }
            | OrderEvent::OrderFulfilled { order_id, .. }
            | OrderEvent::OrderCancelled { order_id, .. } => order_id,
        }
    }

    /// The stream's partition key: all of an order's events go to one shard, in order.
    pub fn partition_key(&self) -> &str {
        self.order_id().as_str()
    }

    /// The record's bytes. Serialising plain data with string keys fails only where a value
    /// refuses to be written (a timestamp outside what can be formatted), and then says so.
    pub fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    /// Reads an event from a record's bytes, telling apart junk, unknown kinds, newer
    /// schema versions and malformed known kinds.
    pub fn decode(bytes: &[u8]) -> Result<OrderEvent, EventDecodeError> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(EventDecodeError::NotJson)?;
        let kind = value
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or_default()
            .to_owned();
        if EventKind::parse(&kind).is_none() {
            return Err(EventDecodeError::UnknownType(kind));
        }
        if let Some(found) = value.get("schemaVersion").and_then(|v| v.as_u64())
            && found > u64::from(EVENT_SCHEMA_VERSION)
        {
            return Err(EventDecodeError::UnsupportedVersion { found });
        }
        serde_json::from_value(value).map_err(|source| EventDecodeError::Malformed { kind, source })
    }
}

fn event_id(kind: EventKind, order_id: &OrderId) -> String {
    format!("{}:{}", kind.as_str(), order_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::parse_new_order;

    fn order() -> Order {
        let body = br#"{"name":"Ada","address":"1 Loop Road","productId":3,"quantity":2}"#;
        let at = Timestamp::from_unix_millis(1_000).expect("in range");
        let day = crate::calendar::Day::parse("2026-12-24").expect("valid");
        let new_order = parse_new_order(body)
            .expect("valid")
            .priced(&crate::catalogue::Catalogue::sample(), day)
            .expect("on sale");
        Order::place(OrderId::parse("o-1").expect("id"), new_order, at)
    }

    #[test]
    fn events_round_trip_with_type_tag_id_and_version() {
        let at = Timestamp::from_unix_millis(2_000).expect("in range");
        let placed = OrderEvent::order_placed(&order(), at);
        let json: serde_json::Value = serde_json::from_slice(&placed.encode().expect("encodes")).expect("json");
        assert_eq!(json["type"], "order_placed");
        assert_eq!(json["schemaVersion"], 1);
        assert_eq!(json["eventId"], "order_placed:o-1");
        assert_eq!(json["order"]["totalCents"], 7800);
        assert_eq!(
            OrderEvent::decode(&placed.encode().expect("encodes")).expect("decodes"),
            placed
        );

        let cancellation = crate::order::Cancellation {
            by: crate::order::CancelledBy::Customer,
            reason: Some("wrong day".into()),
        };
        let cancelled = OrderEvent::order_cancelled(&OrderId::parse("o-1").expect("id"), cancellation, at);
        let json: serde_json::Value = serde_json::from_slice(&cancelled.encode().expect("encodes")).expect("json");
        assert_eq!(json["type"], "order_cancelled");
        assert_eq!(json["cancellation"]["by"], "customer");
        assert_eq!(
            OrderEvent::decode(&cancelled.encode().expect("encodes")).expect("decodes"),
            cancelled
        );

        let fulfilled = OrderEvent::order_fulfilled(&OrderId::parse("o-1").expect("id"), at);
        assert_eq!(fulfilled.kind(), EventKind::OrderFulfilled);
        assert_eq!(
            OrderEvent::decode(&fulfilled.encode().expect("encodes")).expect("decodes"),
            fulfilled
        );
    }

    #[test]
    fn rebuilt_events_say_whether_the_customer_gave_an_email() {
        let mut order = order();
        let at = Timestamp::from_unix_millis(3_000).expect("in range");
        order.record_step(Step::Fulfilled, at);
        let fulfilled = OrderEvent::rebuilt(EventKind::OrderFulfilled, &order).expect("fulfilled");
        assert_eq!(fulfilled.customer_has_email(), Some(false));
        let json: serde_json::Value = serde_json::from_slice(&fulfilled.encode().expect("encodes")).expect("json");
        assert_eq!(json["customerHasEmail"], false);

        order.customer.email = Some("ada@example.com".into());
        let fulfilled = OrderEvent::rebuilt(EventKind::OrderFulfilled, &order).expect("fulfilled");
        assert_eq!(fulfilled.customer_has_email(), Some(true));
        let placed = OrderEvent::rebuilt(EventKind::OrderPlaced, &order).expect("placed");
        let json: serde_json::Value = serde_json::from_slice(&placed.encode().expect("encodes")).expect("json");
        assert_eq!(json["customerHasEmail"], true);

        // A record from before the field: unsaid, so a consumer reads the order.
        let old = br#"{"type":"order_fulfilled","eventId":"order_fulfilled:o-1","schemaVersion":1,"orderId":"o-1","occurredAt":"2026-12-01T09:00:00Z"}"#;
        assert_eq!(OrderEvent::decode(old).expect("decodes").customer_has_email(), None);
    }

    #[test]
    fn the_same_fact_always_gets_the_same_event_id() {
        let early = OrderEvent::order_placed(&order(), Timestamp::from_unix_millis(1).expect("t"));
        let late = OrderEvent::order_placed(&order(), Timestamp::from_unix_millis(9).expect("t"));
        assert_eq!(early.event_id(), late.event_id());
    }

    #[test]
    fn decoding_tells_junk_from_unknown_from_newer_from_malformed() {
        assert!(matches!(
            OrderEvent::decode(b"\xff\x00"),
            Err(EventDecodeError::NotJson(_))
        ));
        assert!(matches!(
            OrderEvent::decode(br#"{"type":"order_refunded"}"#),
            Err(EventDecodeError::UnknownType(t)) if t == "order_refunded"
        ));
        assert!(matches!(
            OrderEvent::decode(br#"{"type":"order_fulfilled","schemaVersion":2}"#),
            Err(EventDecodeError::UnsupportedVersion { found: 2 })
        ));
        assert!(matches!(
            OrderEvent::decode(br#"{"type":"order_fulfilled","schemaVersion":1,"orderId":"A B"}"#),
            Err(EventDecodeError::Malformed { .. })
        ));
    }
}
