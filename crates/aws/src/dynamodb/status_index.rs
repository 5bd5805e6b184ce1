//! The index that lists orders by status, oldest first: `orders-by-status`, a global
//! secondary index with partition `status` (the item's own status, so a transition moves the
//! order between partitions with no extra write) and sort `statusSortKey` (S), written once at
//! create as `<creation time, RFC 3339 UTC with exactly three fractional digits>#<orderId>`.
//! Fixed width makes string order time order, and the id makes every key unique, so a page can
//! end between two orders placed in the same millisecond and the next begin right after it.
//! It projects every attribute, so a page is one Query with no reads behind it.
//!
//! Orders stored before the index existed have no `statusSortKey` and are not listed until one
//! is written for them (a one-off backfill: `SET statusSortKey` from `createdAt` and `orderId`).

use crate::dynamodb::order_item::Item;
use crate::dynamodb::outbox_item::sortable_time;
use aws_sdk_dynamodb::types::AttributeValue;
use cakeshop_domain::{Order, Timestamp};
use cakeshop_ports::StatusCursor;

pub const ORDERS_BY_STATUS_INDEX: &str = "orders-by-status";
pub const STATUS_SORT_KEY: &str = "statusSortKey";

/// The sort key of the order created at `created_at` with this id. `#` sorts before every
/// character an order id may hold, so a shorter id sorts first, as it does everywhere else.
pub fn sort_key(created_at: Timestamp, order_id: &str) -> Result<String, time::error::Format> {
    Ok(format!("{}#{order_id}", sortable_time(created_at)?))
}

/// The sort key a listing continues after.
pub fn cursor_key(cursor: &StatusCursor) -> Result<String, time::error::Format> {
    sort_key(cursor.created_at, cursor.order_id.as_str())
}

/// Adds the sort key to a new order's item.
pub fn list_new_item(item: &mut Item, order: &Order) -> Result<(), time::error::Format> {
    let key = sort_key(order.created_at, order.order_id.as_str())?;
    item.insert(STATUS_SORT_KEY.to_owned(), AttributeValue::S(key));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cakeshop_domain::OrderId;

    fn key(millis: i64, id: &str) -> String {
        let at = Timestamp::from_unix_millis(millis).expect("in range");
        sort_key(at, id).expect("formats")
    }

    #[test]
    fn sort_keys_sort_by_time_then_by_id() {
        let keys = [
            key(1_790_000_000_000, "b"),
            key(1_790_000_000_000, "b0"),
            key(1_790_000_000_000, "c"),
            key(1_790_000_000_120, "a"),
            key(1_790_000_000_500, "a"),
            key(1_790_000_001_000, "a"),
        ];
        assert_eq!(keys[0], "2026-09-21T14:13:20.000Z#b");
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "{keys:?}");
        let cursor = StatusCursor {
            created_at: Timestamp::from_unix_millis(1_790_000_000_000).expect("in range"),
            order_id: OrderId::parse("b").expect("valid id"),
        };
        assert_eq!(cursor_key(&cursor).expect("formats"), keys[0]);
    }
}
