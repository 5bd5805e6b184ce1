//! An order as a DynamoDB item, and back.
//!
//! Layout: `orderId` (S, the partition key), `status` (S), `customerName`, `address`,
//! optional `email` and `notes`, `productId` (N), `productName` (S), `quantity`,
//! `unitPriceCents`, `totalCents` (N), `deliveryDate` (S, `YYYY-MM-DD`), `createdAt` (S,
//! RFC 3339), `history` (M: step name → RFC 3339 S) and, once cancelled, `cancellation`
//! (M: `by` S `customer`|`baker`, optional `reason` S). The outbox's attributes (`outbox_item`)
//! and the status index's sort key (`status_index`) live on the same item; reading an order
//! ignores them.
//!
//! Orders stored before products had numbers and orders had delivery days are still read:
//! a `productId` written as the old catalogue's name (`red-velvet`) is the sample catalogue's
//! number for that cake (the same six cakes, in the same order), and an order without a
//! `deliveryDate` is read as due the day after it was placed (UTC), the earliest day it could
//! have been baked for. Those orders never took capacity from a day counter.

use aws_sdk_dynamodb::types::AttributeValue;
use cakeshop_domain::{
    Cancellation, CancelledBy, Cents, Customer, Day, HistoryEntry, Order, OrderId, ProductId, Status, Step, Timestamp,
    TraceId,
};
use std::collections::HashMap;
use std::str::FromStr;

pub type Item = HashMap<String, AttributeValue>;

pub const ORDER_ID: &str = "orderId";
pub const STATUS: &str = "status";
pub const HISTORY: &str = "history";
pub const QUANTITY: &str = "quantity";
pub const DELIVERY_DATE: &str = "deliveryDate";
pub const CANCELLATION: &str = "cancellation";

/// The old catalogue's product names, in the order of the sample catalogue's numbers 1–6.
const LEGACY_PRODUCT_NAMES: [&str; 6] = [
    "chocolate-fudge",
    "lemon-drizzle",
    "red-velvet",
    "carrot-walnut",
    "victoria-sponge",
    "black-forest",
];

/// A stored item that is not an order this code can read.
#[derive(Debug, thiserror::Error)]
#[error("the stored order item has a missing or malformed attribute `{attribute}`")]
pub struct ItemError {
    pub attribute: String,
}

impl ItemError {
    pub(crate) fn new(attribute: impl Into<String>) -> ItemError {
        ItemError {
            attribute: attribute.into(),
        }
    }
}

pub fn order_id_key(order_id: &OrderId) -> AttributeValue {
    AttributeValue::S(order_id.as_str().to_owned())
}

pub fn to_item(order: &Order) -> Item {
    let s = |text: &str| AttributeValue::S(text.to_owned());
    let n = |number: u64| AttributeValue::N(number.to_string());
    let mut item = Item::from([
        (ORDER_ID.to_owned(), order_id_key(&order.order_id)),
        (STATUS.to_owned(), s(order.status.as_str())),
        ("customerName".to_owned(), s(&order.customer.name)),
        ("address".to_owned(), s(&order.customer.address)),
        ("productId".to_owned(), n(u64::from(order.product_id.0))),
        ("productName".to_owned(), s(&order.product_name)),
        (QUANTITY.to_owned(), n(u64::from(order.quantity))),
        ("unitPriceCents".to_owned(), n(order.unit_price_cents.0)),
        ("totalCents".to_owned(), n(order.total_cents.0)),
        (DELIVERY_DATE.to_owned(), day_value(order.delivery_date)),
        ("createdAt".to_owned(), s(&order.created_at.to_string())),
        (HISTORY.to_owned(), AttributeValue::M(history_map(order))),
    ]);
    if let Some(email) = &order.customer.email {
        item.insert("email".to_owned(), s(email));
    }
    if let Some(notes) = &order.customer.notes {
        item.insert("notes".to_owned(), s(notes));
    }
    if let Some(cancellation) = &order.cancellation {
        item.insert(CANCELLATION.to_owned(), cancellation_value(cancellation));
    }
    if let Some(trace) = order.trace_id {
        item.insert(TRACE_ID.to_owned(), s(&trace.to_string()));
    }
    item
}

/// The order's trace (`Order::trace_id`). Not projected into the orders-by-status index: the
/// baker's listing has no use for it.
const TRACE_ID: &str = "traceId";

pub fn day_value(day: Day) -> AttributeValue {
    AttributeValue::S(day.to_string())
}

/// The `cancellation` attribute.
pub fn cancellation_value(cancellation: &Cancellation) -> AttributeValue {
    let mut map = HashMap::from([(
        "by".to_owned(),
        AttributeValue::S(cancelled_by_name(cancellation.by).to_owned()),
    )]);
    if let Some(reason) = &cancellation.reason {
        map.insert("reason".to_owned(), AttributeValue::S(reason.clone()));
    }
    AttributeValue::M(map)
}

fn cancelled_by_name(by: CancelledBy) -> &'static str {
    match by {
        CancelledBy::Customer => "customer",
        CancelledBy::Baker => "baker",
    }
}

fn history_map(order: &Order) -> HashMap<String, AttributeValue> {
    order
        .history
        .iter()
        .map(|entry| (entry.step.as_str().to_owned(), AttributeValue::S(entry.at.to_string())))
        .collect()
}

pub fn from_item(item: &Item) -> Result<Order, ItemError> {
    let status = string(item, STATUS)?;
    let created_at = timestamp(string(item, "createdAt")?, "createdAt")?;
    Ok(Order {
        order_id: OrderId::parse(string(item, ORDER_ID)?).map_err(|_| ItemError::new(ORDER_ID))?,
        customer: Customer {
            name: string(item, "customerName")?.to_owned(),
            address: string(item, "address")?.to_owned(),
            email: optional_string(item, "email")?,
            notes: optional_string(item, "notes")?,
        },
        product_id: product_id(item)?,
        product_name: string(item, "productName")?.to_owned(),
        quantity: number(item, QUANTITY)?,
        unit_price_cents: Cents(number(item, "unitPriceCents")?),
        total_cents: Cents(number(item, "totalCents")?),
        delivery_date: delivery_date(item, created_at)?,
        status: Status::parse(status).ok_or_else(|| ItemError::new(STATUS))?,
        created_at,
        cancellation: cancellation(item)?,
        history: history(item)?,
        trace_id: optional_string(item, TRACE_ID)?
            .map(|text| TraceId::parse(&text).ok_or_else(|| ItemError::new(TRACE_ID)))
            .transpose()?,
    })
}

fn product_id(item: &Item) -> Result<ProductId, ItemError> {
    const NAME: &str = "productId";
    match item.get(NAME) {
        Some(AttributeValue::N(_)) => number(item, NAME).map(ProductId),
        Some(AttributeValue::S(legacy)) => LEGACY_PRODUCT_NAMES
            .iter()
            .zip(1..)
            .find_map(|(name, id)| (name == legacy).then_some(ProductId(id)))
            .ok_or_else(|| ItemError::new(NAME)),
        _ => Err(ItemError::new(NAME)),
    }
}

fn delivery_date(item: &Item, created_at: Timestamp) -> Result<Day, ItemError> {
    match item.get(DELIVERY_DATE) {
        Some(AttributeValue::S(text)) => Day::parse(text).map_err(|_| ItemError::new(DELIVERY_DATE)),
        Some(_) => Err(ItemError::new(DELIVERY_DATE)),
        None => {
            let placed = time::OffsetDateTime::from_unix_timestamp(created_at.unix_millis().div_euclid(1000))
                .map_err(|_| ItemError::new("createdAt"))?;
            Ok(Day::from_date(placed.date()).plus_days(1))
        }
    }
}

fn cancellation(item: &Item) -> Result<Option<Cancellation>, ItemError> {
    let fields = match item.get(CANCELLATION) {
        None | Some(AttributeValue::Null(true)) => return Ok(None),
        Some(AttributeValue::M(fields)) => fields,
        Some(_) => return Err(ItemError::new(CANCELLATION)),
    };
    let by = match fields.get("by") {
        Some(AttributeValue::S(name)) if name == "customer" => CancelledBy::Customer,
        Some(AttributeValue::S(name)) if name == "baker" => CancelledBy::Baker,
        _ => return Err(ItemError::new(format!("{CANCELLATION}.by"))),
    };
    let reason = optional_string(fields, "reason").map_err(|_| ItemError::new(format!("{CANCELLATION}.reason")))?;
    Ok(Some(Cancellation { by, reason }))
}

fn string<'a>(item: &'a Item, name: &str) -> Result<&'a str, ItemError> {
    match item.get(name) {
        Some(AttributeValue::S(text)) => Ok(text),
        _ => Err(ItemError::new(name)),
    }
}

fn optional_string(item: &Item, name: &str) -> Result<Option<String>, ItemError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(true)) => Ok(None),
        Some(AttributeValue::S(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ItemError::new(name)),
    }
}

fn number<T: FromStr>(item: &Item, name: &str) -> Result<T, ItemError> {
    match item.get(name) {
        Some(AttributeValue::N(digits)) => digits.parse().map_err(|_| ItemError::new(name)),
        _ => Err(ItemError::new(name)),
    }
}

fn timestamp(text: &str, attribute: &str) -> Result<Timestamp, ItemError> {
    Timestamp::parse(text).map_err(|_| ItemError::new(attribute))
}

/// The history map as entries in journey order (a map has no order of its own).
fn history(item: &Item) -> Result<Vec<HistoryEntry>, ItemError> {
    let Some(AttributeValue::M(steps)) = item.get(HISTORY) else {
        return Err(ItemError::new(HISTORY));
    };
    let mut history = steps
        .iter()
        .map(|(name, at)| {
            let attribute = format!("{HISTORY}.{name}");
            let step = Step::parse(name).ok_or_else(|| ItemError::new(&attribute))?;
            let AttributeValue::S(at) = at else {
                return Err(ItemError::new(attribute));
            };
            Ok(HistoryEntry {
                step,
                at: timestamp(at, &attribute)?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    history.sort_by_key(|entry| entry.step);
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cakeshop_domain::{Catalogue, parse_new_order};

    fn order(body: &[u8]) -> Order {
        let day = Day::parse("2026-12-24").expect("valid");
        let new_order = parse_new_order(body)
            .and_then(|request| request.priced(&Catalogue::sample(), day))
            .expect("valid order");
        let at = Timestamp::from_unix_millis(1_790_000_000_123).expect("in range");
        let mut order = Order::place(OrderId::parse("o-1").expect("valid id"), new_order, at);
        order.transition(Status::Fulfilled, at.plus_seconds(60)).expect("legal");
        order.record_step(Step::BakerNotified, at.plus_seconds(5));
        order
    }

    fn bare() -> Order {
        order(br#"{"name":"Ada","address":"1 Loop Road","productId":3,"quantity":1}"#)
    }

    #[test]
    fn an_order_round_trips_through_an_item() {
        let full = order(
            br#"{"name":"Ada","address":"1 Loop Road","productId":3,"quantity":2,"email":"ada@example.com","notes":"<b>no nuts</b>","deliveryDate":"2026-12-24"}"#,
        );
        let item = to_item(&full);
        assert_eq!(item.get("totalCents"), Some(&AttributeValue::N("7800".into())));
        assert_eq!(item.get("productId"), Some(&AttributeValue::N("3".into())));
        assert_eq!(item.get("deliveryDate"), Some(&AttributeValue::S("2026-12-24".into())));
        assert_eq!(item.get("status"), Some(&AttributeValue::S("fulfilled".into())));
        assert!(!item.contains_key(CANCELLATION));
        assert_eq!(from_item(&item).expect("decodes"), full);

        let bare = bare();
        let item = to_item(&bare);
        assert!(!item.contains_key("email") && !item.contains_key("notes"));
        assert_eq!(from_item(&item).expect("decodes"), bare);
    }

    #[test]
    fn a_cancellation_round_trips_with_and_without_a_reason() {
        for (by, reason) in [
            (CancelledBy::Customer, None),
            (CancelledBy::Baker, Some("The oven is broken".to_owned())),
        ] {
            let mut cancelled = bare().as_placed();
            cancelled.status = Status::Cancelled;
            cancelled.cancellation = Some(Cancellation { by, reason });
            cancelled.record_step(Step::Cancelled, cancelled.created_at.plus_seconds(30));
            let item = to_item(&cancelled);
            assert!(matches!(item.get(CANCELLATION), Some(AttributeValue::M(_))));
            assert_eq!(from_item(&item).expect("decodes"), cancelled);
        }
        let mut item = to_item(&bare());
        item.insert(
            CANCELLATION.into(),
            AttributeValue::M(HashMap::from([("by".into(), AttributeValue::S("courier".into()))])),
        );
        assert_eq!(from_item(&item).expect_err("refused").attribute, "cancellation.by");
    }

    #[test]
    fn orders_stored_before_numbered_products_and_delivery_days_are_still_read() {
        let stored = bare();
        let mut item = to_item(&stored);
        item.insert("productId".into(), AttributeValue::S("red-velvet".into()));
        item.remove(DELIVERY_DATE);
        let read = from_item(&item).expect("decodes");
        assert_eq!(read.product_id, ProductId(3));
        // Placed 2026-09-21T14:13:20Z: due the next day.
        assert_eq!(read.delivery_date, Day::parse("2026-09-22").expect("valid"));

        item.insert("productId".into(), AttributeValue::S("opera-cake".into()));
        assert_eq!(from_item(&item).expect_err("refused").attribute, "productId");
    }

    #[test]
    fn history_is_read_in_journey_order() {
        let steps: Vec<Step> = from_item(&to_item(&bare()))
            .expect("decodes")
            .history
            .iter()
            .map(|entry| entry.step)
            .collect();
        assert_eq!(steps, [Step::Placed, Step::BakerNotified, Step::Fulfilled]);
    }

    #[test]
    fn a_bad_item_names_the_attribute() {
        let stored = bare();
        let mut item = to_item(&stored);
        item.insert("quantity".into(), AttributeValue::S("two".into()));
        assert_eq!(from_item(&item).expect_err("refused").attribute, "quantity");

        let mut item = to_item(&stored);
        item.insert(DELIVERY_DATE.into(), AttributeValue::S("Christmas".into()));
        assert_eq!(from_item(&item).expect_err("refused").attribute, DELIVERY_DATE);

        let mut item = to_item(&stored);
        item.insert(
            HISTORY.into(),
            AttributeValue::M(HashMap::from([("baked".into(), AttributeValue::S("now".into()))])),
        );
        let error = from_item(&item).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "the stored order item has a missing or malformed attribute `history.baked`"
        );

        let mut item = to_item(&stored);
        item.remove("status");
        assert_eq!(from_item(&item).expect_err("refused").attribute, "status");
    }
}
