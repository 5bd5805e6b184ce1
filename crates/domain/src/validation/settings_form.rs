//! The baker's settings as typed into the board's forms: the same changes `PUT /shop`,
//! `PUT /capacity` and `PUT /products/{productId}` take, held to the same limits and named the
//! same way when refused.

use super::settings::MAX_SHOP_MESSAGE_CHARS;
use super::{Fields, Lines, RequestError};
use crate::capacity::{CapacityChange, MAX_DAILY_CAPACITY, WEEKDAYS};
use crate::catalogue::{MAX_PRICE_CENTS, ProductChange};
use crate::money::Cents;
use crate::shop::ShopStatus;
use serde_json::Value;
use std::collections::BTreeMap;

/// The open/closed switch: `open`, and when closing the message customers see (blank: none).
pub fn shop_status_from_form(open: bool, message: Option<&str>) -> Result<ShopStatus, RequestError> {
    let mut fields = Fields::default();
    let message = match message.filter(|_| !open) {
        Some(typed) => {
            let text = fields.check_text(
                "message",
                &Value::String(typed.to_owned()),
                MAX_SHOP_MESSAGE_CHARS,
                Lines::Single,
            );
            fields.finish()?;
            text.filter(|text| !text.is_empty())
        }
        None => None,
    };
    Ok(ShopStatus {
        open,
        message,
        until: None,
    })
}

/// The cakes each weekday can take, as typed (`typed(weekday)`, `monday` … `sunday`); the
/// weekdays the form leaves out keep their capacity.
pub fn weekday_capacity_from_form<'a>(typed: impl Fn(&str) -> Option<&'a str>) -> Result<CapacityChange, RequestError> {
    let mut fields = Fields::default();
    let mut per_weekday = BTreeMap::new();
    for (_, weekday) in WEEKDAYS {
        let Some(text) = typed(weekday) else { continue };
        match text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|count| *count <= MAX_DAILY_CAPACITY)
        {
            Some(count) => {
                per_weekday.insert(weekday.to_owned(), count);
            }
            None => fields.fail(
                "perWeekday",
                format!("perWeekday.{weekday} must be a whole number from 0 to {MAX_DAILY_CAPACITY}"),
            ),
        }
    }
    fields.finish()?;
    Ok(CapacityChange {
        per_weekday: Some(per_weekday),
        ..CapacityChange::default()
    })
}

/// A cake's price in euros as typed (`34.50`, `€34,50`) and whether it is on sale.
pub fn product_change_from_form(price: &str, available: bool) -> Result<ProductChange, RequestError> {
    let mut fields = Fields::default();
    match Cents::parse_euros(price) {
        None => fields.fail(
            "price",
            format!("the price {price:?} is not an amount in euros, like 34.50"),
        ),
        Some(cents) => {
            fields.check_whole_number("priceCents", &Value::from(cents.0), 1, MAX_PRICE_CENTS);
        }
    }
    fields.finish()?;
    Ok(ProductChange {
        name: None,
        description: None,
        price_cents: Cents::parse_euros(price),
        available: Some(available),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::{parse_capacity_change, parse_product_change, parse_shop_status};

    #[test]
    fn reads_the_same_changes_as_the_json_bodies() {
        assert_eq!(
            shop_status_from_form(false, Some(" Back on Monday ")),
            parse_shop_status(br#"{"open":false,"message":"Back on Monday"}"#)
        );
        assert_eq!(
            shop_status_from_form(true, Some("ignored when opening")),
            parse_shop_status(br#"{"open":true}"#)
        );
        assert_eq!(
            shop_status_from_form(false, Some("  ")),
            parse_shop_status(br#"{"open":false}"#)
        );
        let typed = |weekday: &str| (weekday == "monday" || weekday == "friday").then_some(" 12 ");
        assert_eq!(
            weekday_capacity_from_form(typed),
            parse_capacity_change(br#"{"perWeekday":{"monday":12,"friday":12}}"#)
        );
        assert_eq!(
            product_change_from_form("€34,50", false),
            parse_product_change(br#"{"priceCents":3450,"available":false}"#)
        );
    }

    #[test]
    fn names_what_is_wrong() {
        let message = |error: RequestError| error.to_string();
        assert_eq!(
            shop_status_from_form(false, Some("two\nlines")).map_err(message),
            Err("message must not contain line breaks or control characters".to_owned())
        );
        assert_eq!(
            weekday_capacity_from_form(|weekday| Some(if weekday == "sunday" { "lots" } else { "3" })).map_err(message),
            Err(format!(
                "perWeekday.sunday must be a whole number from 0 to {MAX_DAILY_CAPACITY}"
            ))
        );
        assert_eq!(
            product_change_from_form("free", true).map_err(message),
            Err("the price \"free\" is not an amount in euros, like 34.50".to_owned())
        );
        assert_eq!(
            product_change_from_form("0", true).map_err(message),
            Err(format!("priceCents must be between 1 and {MAX_PRICE_CENTS}"))
        );
    }
}
