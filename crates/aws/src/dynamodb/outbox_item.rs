//! The outbox marks on an order item, and the index that lists the marked orders.
//!
//! Layout: `pendingEvents` (SS, the names of the events still owed to the stream),
//! `outboxBucket` (S, always `pending`) and `outboxSince` (S, when the oldest of them was
//! marked, RFC 3339 UTC with exactly three fractional digits). The last two exist only while
//! something is pending and are the keys of the sparse global secondary index `pending-events`
//! (partition `outboxBucket`, sort `outboxSince`, projecting `pendingEvents`), so listing what
//! is due is one Query over marked orders only, oldest first. `from_item` ignores all three.

use crate::dynamodb::order_item::{Item, ItemError, ORDER_ID};
use aws_sdk_dynamodb::types::AttributeValue;
use cakeshop_domain::{EventKind, OrderId, Timestamp};
use cakeshop_ports::PendingEvents;
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

pub const PENDING_EVENTS: &str = "pendingEvents";
pub const OUTBOX_BUCKET: &str = "outboxBucket";
pub const OUTBOX_SINCE: &str = "outboxSince";
/// The one value of `outboxBucket`: every marked order in one index partition, sorted by time.
pub const PENDING_BUCKET: &str = "pending";
pub const PENDING_EVENTS_INDEX: &str = "pending-events";

/// Fixed width, so that the index's string order is time order. `Timestamp`'s own display drops
/// trailing zeros (`…:05Z`, `…:05.5Z`), and `Z` sorts after `.`.
const SORTABLE_TIME: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

pub fn sortable_time(at: Timestamp) -> Result<String, time::error::Format> {
    let instant = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.unix_millis()) * 1_000_000)?;
    instant.format(SORTABLE_TIME)
}

pub fn kind_set(kind: EventKind) -> AttributeValue {
    AttributeValue::Ss(vec![kind.as_str().to_owned()])
}

/// Adds the mark of `kind`, made at `at`, to a new order's item.
pub fn mark_new_item(item: &mut Item, kind: EventKind, at: Timestamp) -> Result<(), time::error::Format> {
    item.insert(PENDING_EVENTS.to_owned(), kind_set(kind));
    item.insert(OUTBOX_BUCKET.to_owned(), AttributeValue::S(PENDING_BUCKET.to_owned()));
    item.insert(OUTBOX_SINCE.to_owned(), AttributeValue::S(sortable_time(at)?));
    Ok(())
}

/// What one entry of the index says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexEntry {
    Pending(PendingEvents),
    /// Listed but with no mark left: what a clearing interrupted between its two writes leaves.
    Unmarked(OrderId),
    /// Marks only of kinds that a newer version of the shop knows; left for it.
    OnlyUnknownKinds,
}

pub fn index_entry(item: &Item) -> Result<IndexEntry, ItemError> {
    let order_id = match item.get(ORDER_ID) {
        Some(AttributeValue::S(id)) => OrderId::parse(id).map_err(|_| ItemError::new(ORDER_ID))?,
        _ => return Err(ItemError::new(ORDER_ID)),
    };
    let since = match item.get(OUTBOX_SINCE) {
        Some(AttributeValue::S(text)) => Timestamp::parse(text).map_err(|_| ItemError::new(OUTBOX_SINCE))?,
        _ => return Err(ItemError::new(OUTBOX_SINCE)),
    };
    let names = match item.get(PENDING_EVENTS) {
        None => return Ok(IndexEntry::Unmarked(order_id)),
        Some(AttributeValue::Ss(names)) => names,
        Some(_) => return Err(ItemError::new(PENDING_EVENTS)),
    };
    // In the order the events happen, whatever order the set comes back in.
    let kinds: Vec<EventKind> = EventKind::ALL
        .into_iter()
        .filter(|kind| names.iter().any(|name| name == kind.as_str()))
        .collect();
    if kinds.len() < names.len() {
        tracing::warn!(%order_id, ?names, "pending events of unknown kinds are left for a newer relay");
    }
    if kinds.is_empty() {
        return Ok(IndexEntry::OnlyUnknownKinds);
    }
    Ok(IndexEntry::Pending(PendingEvents { order_id, kinds, since }))
}

/// Whether the item still holds any mark at all (DynamoDB removes a set once it is empty).
pub fn has_pending_events(item: &Item) -> bool {
    item.contains_key(PENDING_EVENTS)
}

/// Whether the item is still listed in the index.
pub fn is_indexed(item: &Item) -> bool {
    item.contains_key(OUTBOX_BUCKET) || item.contains_key(OUTBOX_SINCE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_unix_millis(millis).expect("in range")
    }

    #[test]
    fn sortable_times_have_three_fractional_digits_and_sort_as_time() {
        let whole = at(1_790_000_000_000);
        assert_eq!(sortable_time(whole).expect("formats"), "2026-09-21T14:13:20.000Z");
        assert_eq!(
            sortable_time(at(1_790_000_000_120)).expect("formats"),
            "2026-09-21T14:13:20.120Z"
        );
        let times = [0, 5, 120, 500, 999, 1_000, 60_000].map(|offset| at(1_790_000_000_000 + offset));
        let texts: Vec<String> = times.iter().map(|t| sortable_time(*t).expect("formats")).collect();
        assert!(texts.windows(2).all(|pair| pair[0] < pair[1]), "{texts:?}");
        for (time, text) in times.iter().zip(&texts) {
            assert_eq!(Timestamp::parse(text).expect("parses"), *time, "round-trips");
        }
    }

    fn listed(names: Option<Vec<&str>>) -> Item {
        let mut item = Item::from([
            (ORDER_ID.to_owned(), AttributeValue::S("o-1".into())),
            (OUTBOX_BUCKET.to_owned(), AttributeValue::S(PENDING_BUCKET.into())),
            (
                OUTBOX_SINCE.to_owned(),
                AttributeValue::S("2026-09-21T14:13:20.120Z".into()),
            ),
        ]);
        if let Some(names) = names {
            let names = names.into_iter().map(str::to_owned).collect();
            item.insert(PENDING_EVENTS.to_owned(), AttributeValue::Ss(names));
        }
        item
    }

    fn order_id() -> OrderId {
        OrderId::parse("o-1").expect("valid id")
    }

    #[test]
    fn index_entries_read_as_pending_events_in_the_order_they_happen() {
        let entry = index_entry(&listed(Some(vec!["order_fulfilled", "order_placed"]))).expect("valid");
        let expected = PendingEvents {
            order_id: order_id(),
            kinds: vec![EventKind::OrderPlaced, EventKind::OrderFulfilled],
            since: at(1_790_000_000_120),
        };
        assert_eq!(entry, IndexEntry::Pending(expected));
    }

    #[test]
    fn entries_without_known_events_are_not_pending() {
        assert_eq!(
            index_entry(&listed(None)).expect("valid"),
            IndexEntry::Unmarked(order_id())
        );
        let unknown = listed(Some(vec!["order_baked"]));
        assert_eq!(index_entry(&unknown).expect("valid"), IndexEntry::OnlyUnknownKinds);
        let mut broken = listed(None);
        broken.insert(OUTBOX_SINCE.to_owned(), AttributeValue::S("soon".into()));
        assert_eq!(index_entry(&broken).expect_err("refused").attribute, OUTBOX_SINCE);
    }
}
