//! The bodies the baker sends to manage the shop, and the cancellation a customer or the baker
//! sends: parsed like an order, every problem named at once.

use super::{FieldError, Fields, Lines, RequestError};
use crate::calendar::{Day, TimeOfDay};
use crate::capacity::{CapacityChange, MAX_DAILY_CAPACITY, MAX_DATE_OVERRIDES, WEEKDAYS};
use crate::catalogue::{MAX_PRICE_CENTS, NewProduct, ProductChange};
use crate::money::Cents;
use crate::order::OrderId;
use crate::shop::ShopStatus;
use serde_json::Value;
use std::collections::BTreeMap;

const MAX_PRODUCT_NAME_CHARS: usize = 80;
const MAX_DESCRIPTION_CHARS: usize = 300;
const MAX_REASON_CHARS: usize = 500;
pub(super) const MAX_SHOP_MESSAGE_CHARS: usize = 300;

/// `POST /order/cancelled`: which order, and why (optional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancel {
    pub order_id: OrderId,
    pub reason: Option<String>,
}

pub fn parse_cancellation(body: &[u8]) -> Result<Cancel, RequestError> {
    let mut fields = Fields::parse(body, &["orderId", "reason"])?;
    let order_id = fields.order_id("orderId");
    let reason = fields.optional_text("reason", MAX_REASON_CHARS, Lines::Multi);
    fields.finish()?;
    let (Some(order_id), Some(reason)) = (order_id, reason) else {
        return Err(RequestError::Invalid(Vec::new()));
    };
    Ok(Cancel { order_id, reason })
}

/// `POST /products`: `name` and `priceCents`, optional `description` and `available` (true).
pub fn parse_new_product(body: &[u8]) -> Result<NewProduct, RequestError> {
    let mut fields = Fields::parse(body, &["name", "description", "priceCents", "available"])?;
    let name = fields.text("name", MAX_PRODUCT_NAME_CHARS, Lines::Single);
    let description = fields.optional_text("description", MAX_DESCRIPTION_CHARS, Lines::Multi);
    let price = fields.whole_number("priceCents", 1, MAX_PRICE_CENTS);
    let available = fields.optional_bool("available");
    fields.finish()?;
    let (Some(name), Some(description), Some(price), Some(available)) = (name, description, price, available) else {
        return Err(RequestError::Invalid(Vec::new()));
    };
    Ok(NewProduct {
        name,
        description: description.unwrap_or_default(),
        price_cents: Cents(price),
        available: available.unwrap_or(true),
    })
}

/// `PUT /products/{productId}`: any of `name`, `description`, `priceCents`, `available`.
pub fn parse_product_change(body: &[u8]) -> Result<ProductChange, RequestError> {
    let mut fields = Fields::parse(body, &["name", "description", "priceCents", "available"])?;
    let name = match fields.present("name").is_some() {
        true => fields.text("name", MAX_PRODUCT_NAME_CHARS, Lines::Single).map(Some),
        false => Some(None),
    };
    let description = fields.optional_text("description", MAX_DESCRIPTION_CHARS, Lines::Multi);
    let price = fields.optional_whole_number("priceCents", 1, MAX_PRICE_CENTS);
    let available = fields.optional_bool("available");
    let empty = fields.object.values().all(Value::is_null);
    if empty {
        fields.fail("body", "send at least one of name, description, priceCents, available");
    }
    fields.finish()?;
    let (Some(name), Some(description), Some(price), Some(available)) = (name, description, price, available) else {
        return Err(RequestError::Invalid(Vec::new()));
    };
    let description_given = description.is_some() || !empty && body_has_empty_description(body);
    Ok(ProductChange {
        name,
        description: if description_given {
            Some(description.unwrap_or_default())
        } else {
            None
        },
        price_cents: price.map(Cents),
        available,
    })
}

/// `"description": ""` clears it, which `optional_text` reads as absent.
fn body_has_empty_description(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|value| value.get("description").cloned())
        .is_some_and(|value| value.as_str().is_some_and(|text| text.trim().is_empty()))
}

/// `PUT /capacity`: any of `perWeekday` (`{"monday": 20, …}`, the days given), `perDate`
/// (`{"2026-12-24": 60}`, replacing every override) and `cutoff` (`"HH:MM"`).
pub fn parse_capacity_change(body: &[u8]) -> Result<CapacityChange, RequestError> {
    let mut fields = Fields::parse(body, &["perWeekday", "perDate", "cutoff"])?;
    let mut change = CapacityChange::default();
    if let Some(value) = fields.present("perWeekday").cloned() {
        change.per_weekday = counts(&mut fields, "perWeekday", &value, |name| {
            WEEKDAYS
                .iter()
                .any(|(_, weekday)| *weekday == name)
                .then(|| name.to_owned())
                .ok_or_else(|| format!("perWeekday: {name:?} is not a weekday; use monday … sunday"))
        });
    }
    if let Some(value) = fields.present("perDate").cloned() {
        change.per_date = counts(&mut fields, "perDate", &value, |name| {
            Day::parse(name).map_err(|error| format!("perDate: {error}"))
        });
        if change
            .per_date
            .as_ref()
            .is_some_and(|days| days.len() > MAX_DATE_OVERRIDES)
        {
            fields.fail("perDate", format!("perDate may hold at most {MAX_DATE_OVERRIDES} days"));
        }
    }
    if let Some(value) = fields.present("cutoff").cloned() {
        match value.as_str().map(TimeOfDay::parse) {
            Some(Ok(cutoff)) => change.cutoff = Some(cutoff),
            Some(Err(error)) => fields.fail("cutoff", format!("cutoff: {error}")),
            None => fields.fail("cutoff", "cutoff must be a time written HH:MM"),
        }
    }
    if change == CapacityChange::default() && fields.errors.is_empty() {
        fields.fail("body", "send at least one of perWeekday, perDate, cutoff");
    }
    fields.finish()?;
    Ok(change)
}

/// An object of counts keyed by `key`'s reading of each name, each 0 to `MAX_DAILY_CAPACITY`.
fn counts<K: Ord>(
    fields: &mut Fields,
    field: &'static str,
    value: &Value,
    key: impl Fn(&str) -> Result<K, String>,
) -> Option<BTreeMap<K, u32>> {
    let Value::Object(object) = value else {
        fields.fail(field, format!("{field} must be an object of whole numbers"));
        return None;
    };
    let mut counts = BTreeMap::new();
    let mut ok = true;
    for (name, count) in object {
        let key = match key(name) {
            Ok(key) => key,
            Err(message) => {
                fields.fail(field, message);
                ok = false;
                continue;
            }
        };
        match count.as_u64().filter(|n| *n <= u64::from(MAX_DAILY_CAPACITY)) {
            Some(n) => {
                counts.insert(key, u32::try_from(n).unwrap_or(MAX_DAILY_CAPACITY));
            }
            None => {
                fields.fail(
                    field,
                    format!("{field}.{name} must be a whole number from 0 to {MAX_DAILY_CAPACITY}"),
                );
                ok = false;
            }
        }
    }
    ok.then_some(counts)
}

/// `PUT /shop`: `{"open"}`, and when closing an optional `message` and `until` (the day it
/// reopens).
pub fn parse_shop_status(body: &[u8]) -> Result<ShopStatus, RequestError> {
    let mut fields = Fields::parse(body, &["open", "message", "until"])?;
    let open = match fields.optional_bool("open") {
        Some(None) => {
            fields.fail("open", "open is required: true or false");
            None
        }
        other => other.flatten(),
    };
    let message = fields.optional_text("message", MAX_SHOP_MESSAGE_CHARS, Lines::Single);
    let until = fields.optional_day("until");
    if open == Some(true) && until.is_some_and(|until| until.is_some()) {
        fields.fail(
            "until",
            "until is the day a closed shop reopens; leave it out when opening",
        );
    }
    fields.finish()?;
    let (Some(open), Some(message), Some(until)) = (open, message, until) else {
        return Err(RequestError::Invalid(vec![FieldError {
            field: "body",
            message: "the shop's status could not be read".into(),
        }]));
    };
    Ok(ShopStatus { open, message, until })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(error: RequestError) -> String {
        error.to_string()
    }

    #[test]
    fn products_need_a_name_and_a_sane_price() {
        let product = parse_new_product(br#"{"name":"Opera cake","priceCents":4500}"#).expect("valid");
        assert_eq!((product.price_cents, product.available), (Cents(4500), true));
        for bad in [
            br#"{"name":"Opera cake","priceCents":-1}"#.as_slice(),
            br#"{"name":"Opera cake","priceCents":0}"#,
            br#"{"name":"Opera cake","priceCents":1000001}"#,
            br#"{"name":"Opera cake","priceCents":45.5}"#,
            br#"{"name":"","priceCents":4500}"#,
            br#"{"priceCents":4500}"#,
            br#"{"name":"Opera cake","priceCents":4500,"id":7}"#,
        ] {
            assert!(parse_new_product(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn a_product_change_takes_only_what_is_given() {
        let change = parse_product_change(br#"{"priceCents":2950}"#).expect("valid");
        assert_eq!(
            change,
            ProductChange {
                price_cents: Some(Cents(2950)),
                ..ProductChange::default()
            }
        );
        let change = parse_product_change(br#"{"available":false,"description":""}"#).expect("valid");
        assert_eq!(change.description.as_deref(), Some(""));
        assert!(parse_product_change(b"{}").is_err());
        assert!(parse_product_change(br#"{"available":"no"}"#).is_err());
    }

    #[test]
    fn capacity_names_every_bad_part() {
        let change = parse_capacity_change(
            br#"{"perWeekday":{"monday":20,"sunday":0},"perDate":{"2026-12-24":60},"cutoff":"17:30"}"#,
        )
        .expect("valid");
        assert_eq!(change.per_weekday.as_ref().map(BTreeMap::len), Some(2));
        assert_eq!(change.cutoff.map(|c| c.to_string()).as_deref(), Some("17:30"));
        let error = parse_capacity_change(
            br#"{"perWeekday":{"funday":3,"monday":-1},"perDate":{"2026-02-30":1},"cutoff":"25:00"}"#,
        )
        .expect_err("invalid");
        let text = messages(error);
        for part in ["funday", "perWeekday.monday", "2026-02-30", "25:00"] {
            assert!(text.contains(part), "{text}");
        }
        assert!(parse_capacity_change(b"{}").is_err());
    }

    #[test]
    fn the_shop_opens_and_closes_until_a_day() {
        let closed = parse_shop_status(br#"{"open":false,"message":"Christmas","until":"2026-12-27"}"#).expect("valid");
        assert_eq!(closed.until.map(|d| d.to_string()).as_deref(), Some("2026-12-27"));
        assert!(parse_shop_status(br#"{"open":true}"#).is_ok());
        assert!(parse_shop_status(br#"{"message":"x"}"#).is_err());
        assert!(parse_shop_status(br#"{"open":true,"until":"2026-12-27"}"#).is_err());
        assert!(parse_shop_status(br#"{"open":"no"}"#).is_err());
    }

    #[test]
    fn a_cancellation_names_the_order() {
        let cancel = parse_cancellation(br#"{"orderId":"o-1","reason":"wrong day"}"#).expect("valid");
        assert_eq!(cancel.reason.as_deref(), Some("wrong day"));
        assert!(parse_cancellation(br#"{"reason":"x"}"#).is_err());
        assert!(parse_cancellation(br#"{"orderId":"O 1"}"#).is_err());
    }
}
