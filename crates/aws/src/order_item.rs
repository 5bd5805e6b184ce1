//! An order as a DynamoDB item, and back.
//!
//! Layout: `orderId` (S, the partition key), `status` (S), `customerName`, `address`,
//! optional `email` and `notes`, `productId`, `productName` (S), `quantity`, `unitPriceCents`,
//! `totalCents` (N), `createdAt` (S, RFC 3339) and `history` (M: step name → RFC 3339 S).
//! The outbox's attributes (`outbox_item`) live on the same item; reading an order ignores them.

use aws_sdk_dynamodb::types::AttributeValue;
use cakeshop_domain::{Cents, Customer, HistoryEntry, Order, OrderId, Status, Step, Timestamp};
use std::collections::HashMap;
use std::str::FromStr;

pub type Item = HashMap<String, AttributeValue>;

pub const ORDER_ID: &str = "orderId";
pub const STATUS: &str = "status";
pub const HISTORY: &str = "history";

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
        ("productId".to_owned(), s(&order.product_id)),
        ("productName".to_owned(), s(&order.product_name)),
        ("quantity".to_owned(), n(u64::from(order.quantity))),
        ("unitPriceCents".to_owned(), n(order.unit_price_cents.0)),
        ("totalCents".to_owned(), n(order.total_cents.0)),
        ("createdAt".to_owned(), s(&order.created_at.to_string())),
        (HISTORY.to_owned(), AttributeValue::M(history_map(order))),
    ]);
    if let Some(email) = &order.customer.email {
        item.insert("email".to_owned(), s(email));
    }
    if let Some(notes) = &order.customer.notes {
        item.insert("notes".to_owned(), s(notes));
    }
    item
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
    Ok(Order {
        order_id: OrderId::parse(string(item, ORDER_ID)?).map_err(|_| ItemError::new(ORDER_ID))?,
        customer: Customer {
            name: string(item, "customerName")?.to_owned(),
            address: string(item, "address")?.to_owned(),
            email: optional_string(item, "email")?,
            notes: optional_string(item, "notes")?,
        },
        product_id: string(item, "productId")?.to_owned(),
        product_name: string(item, "productName")?.to_owned(),
        quantity: number(item, "quantity")?,
        unit_price_cents: Cents(number(item, "unitPriceCents")?),
        total_cents: Cents(number(item, "totalCents")?),
        status: Status::parse(status).ok_or_else(|| ItemError::new(STATUS))?,
        created_at: timestamp(string(item, "createdAt")?, "createdAt")?,
        history: history(item)?,
    })
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
    use cakeshop_domain::parse_new_order;

    fn order(body: &[u8]) -> Order {
        let new_order = parse_new_order(body).expect("valid order");
        let at = Timestamp::from_unix_millis(1_790_000_000_123).expect("in range");
        let mut order = Order::place(OrderId::parse("o-1").expect("valid id"), new_order, at);
        order.transition(Status::Fulfilled, at.plus_seconds(60)).expect("legal");
        order.record_step(Step::BakerNotified, at.plus_seconds(5));
        order
    }

    #[test]
    fn an_order_round_trips_through_an_item() {
        let full = order(
            br#"{"name":"Ada","address":"1 Loop Road","productId":"red-velvet","quantity":2,"email":"ada@example.com","notes":"<b>no nuts</b>"}"#,
        );
        let item = to_item(&full);
        assert_eq!(item.get("totalCents"), Some(&AttributeValue::N("7800".into())));
        assert_eq!(item.get("status"), Some(&AttributeValue::S("fulfilled".into())));
        assert_eq!(from_item(&item).expect("decodes"), full);

        let bare = order(br#"{"name":"Ada","address":"1 Loop Road","productId":"red-velvet","quantity":1}"#);
        let item = to_item(&bare);
        assert!(!item.contains_key("email") && !item.contains_key("notes"));
        assert_eq!(from_item(&item).expect("decodes"), bare);
    }

    #[test]
    fn history_is_read_in_journey_order() {
        let stored = order(br#"{"name":"Ada","address":"1 Loop Road","productId":"red-velvet","quantity":1}"#);
        let steps: Vec<Step> = from_item(&to_item(&stored))
            .expect("decodes")
            .history
            .iter()
            .map(|entry| entry.step)
            .collect();
        assert_eq!(steps, [Step::Placed, Step::BakerNotified, Step::Fulfilled]);
    }

    #[test]
    fn a_bad_item_names_the_attribute() {
        let stored = order(br#"{"name":"Ada","address":"1 Loop Road","productId":"red-velvet","quantity":1}"#);
        let mut item = to_item(&stored);
        item.insert("quantity".into(), AttributeValue::S("two".into()));
        assert_eq!(from_item(&item).expect_err("refused").attribute, "quantity");

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
