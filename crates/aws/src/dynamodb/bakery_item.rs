//! The shop's own items in the order table, and back.
//!
//! Layout: the settings are three items keyed `shop#catalogue`, `shop#capacity` and
//! `shop#status`, each with `document` (S, the domain value as JSON) and `version` (N, 1 for
//! the first save, one more for each save after it). Each day's count of booked cakes is an
//! item keyed `day#YYYY-MM-DD` with `booked` (N), created by the first order for that day.
//! Order ids never hold `#`, so these keys cannot meet an order's; and none of these items
//! carries the indexes' key attributes (`status`, `statusSortKey`, `outboxBucket`,
//! `outboxSince`), so both indexes list orders only.

use crate::dynamodb::order_item::{Item, ORDER_ID};
use aws_sdk_dynamodb::types::AttributeValue;
use cakeshop_domain::Day;
use cakeshop_ports::Versioned;

pub const CATALOGUE_KEY: &str = "shop#catalogue";
pub const CAPACITY_KEY: &str = "shop#capacity";
pub const SHOP_STATUS_KEY: &str = "shop#status";
pub const DOCUMENT: &str = "document";
pub const VERSION: &str = "version";
pub const BOOKED: &str = "booked";

/// A stored shop item that this code cannot read.
#[derive(Debug, thiserror::Error)]
pub enum BakeryItemError {
    #[error("the stored item {key} has a missing or malformed attribute `{attribute}`")]
    Attribute { key: String, attribute: &'static str },
    #[error("the stored item {key} holds a document this version of the shop cannot read")]
    Document {
        key: String,
        #[source]
        source: serde_json::Error,
    },
}

/// The key of `day`'s counter of booked cakes.
pub fn day_key(day: Day) -> AttributeValue {
    AttributeValue::S(format!("day#{day}"))
}

pub fn key(name: &str) -> AttributeValue {
    AttributeValue::S(name.to_owned())
}

/// A setting's item: its document at `version`.
pub fn setting_item(key_name: &str, document: String, version: u64) -> Item {
    Item::from([
        (ORDER_ID.to_owned(), key(key_name)),
        (DOCUMENT.to_owned(), AttributeValue::S(document)),
        (VERSION.to_owned(), AttributeValue::N(version.to_string())),
    ])
}

/// A setting read from its item, or the default at version 0 when none is stored.
pub fn setting<T>(
    key_name: &str,
    item: Option<&Item>,
    parse: impl FnOnce(&str) -> serde_json::Result<T>,
    default: impl FnOnce() -> T,
) -> Result<Versioned<T>, BakeryItemError> {
    let Some(item) = item else {
        return Ok(Versioned {
            value: default(),
            version: 0,
        });
    };
    let malformed = |attribute| BakeryItemError::Attribute {
        key: key_name.to_owned(),
        attribute,
    };
    let version = match item.get(VERSION) {
        Some(AttributeValue::N(digits)) => digits.parse().map_err(|_| malformed(VERSION))?,
        _ => return Err(malformed(VERSION)),
    };
    let value = match item.get(DOCUMENT) {
        Some(AttributeValue::S(json)) => parse(json).map_err(|source| BakeryItemError::Document {
            key: key_name.to_owned(),
            source,
        })?,
        _ => return Err(malformed(DOCUMENT)),
    };
    Ok(Versioned { value, version })
}

/// The count a day's item holds; 0 when there is none. A count below zero (an order stored
/// before days were counted, then cancelled, gave back what it never took) reads as 0.
pub fn booked(item: Option<&Item>) -> Result<u32, BakeryItemError> {
    let Some(item) = item else {
        return Ok(0);
    };
    let key_name = match item.get(ORDER_ID) {
        Some(AttributeValue::S(name)) => name.clone(),
        _ => String::from("day#?"),
    };
    let malformed = || BakeryItemError::Attribute {
        key: key_name.clone(),
        attribute: BOOKED,
    };
    match item.get(BOOKED) {
        None => Ok(0),
        Some(AttributeValue::N(digits)) => {
            let count: i64 = digits.parse().map_err(|_| malformed())?;
            Ok(u32::try_from(count.max(0)).unwrap_or(u32::MAX))
        }
        Some(_) => Err(malformed()),
    }
}

/// The key an item is stored under, as text.
pub fn item_key(item: &Item) -> Option<&str> {
    match item.get(ORDER_ID) {
        Some(AttributeValue::S(name)) => Some(name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cakeshop_domain::{Catalogue, ShopStatus};

    #[test]
    fn day_keys_cannot_be_order_ids() {
        let day = Day::parse("2026-12-24").expect("valid");
        assert_eq!(day_key(day), AttributeValue::S("day#2026-12-24".into()));
        for name in ["day#2026-12-24", CATALOGUE_KEY, CAPACITY_KEY, SHOP_STATUS_KEY] {
            assert!(cakeshop_domain::OrderId::parse(name).is_err(), "{name}");
        }
    }

    #[test]
    fn a_setting_round_trips_and_defaults_at_version_zero() {
        let json = serde_json::to_string(&Catalogue::sample()).expect("serialises");
        let item = setting_item(CATALOGUE_KEY, json, 3);
        let read = setting(
            CATALOGUE_KEY,
            Some(&item),
            |json| serde_json::from_str::<Catalogue>(json),
            Catalogue::default,
        )
        .expect("reads");
        assert_eq!((read.value, read.version), (Catalogue::sample(), 3));
        let absent = setting(
            SHOP_STATUS_KEY,
            None,
            |json| serde_json::from_str::<ShopStatus>(json),
            ShopStatus::default,
        )
        .expect("defaults");
        assert_eq!((absent.value, absent.version), (ShopStatus::default(), 0));
    }

    #[test]
    fn a_bad_setting_names_its_item() {
        let mut item = setting_item(SHOP_STATUS_KEY, "{\"open\":\"yes\"}".into(), 1);
        let error = setting(
            SHOP_STATUS_KEY,
            Some(&item),
            |json| serde_json::from_str::<ShopStatus>(json),
            ShopStatus::default,
        )
        .expect_err("refused");
        assert!(matches!(error, BakeryItemError::Document { ref key, .. } if key == SHOP_STATUS_KEY));
        item.insert(VERSION.into(), AttributeValue::S("1".into()));
        let error = setting(
            SHOP_STATUS_KEY,
            Some(&item),
            |json| serde_json::from_str::<ShopStatus>(json),
            ShopStatus::default,
        )
        .expect_err("refused");
        assert_eq!(
            error.to_string(),
            "the stored item shop#status has a missing or malformed attribute `version`"
        );
    }

    #[test]
    fn booked_counts_read_absent_as_zero_and_never_below_it() {
        let day = |booked: &str| {
            Item::from([
                (ORDER_ID.to_owned(), key("day#2026-12-24")),
                (BOOKED.to_owned(), AttributeValue::N(booked.into())),
            ])
        };
        assert_eq!(booked(None).expect("reads"), 0);
        assert_eq!(booked(Some(&day("7"))).expect("reads"), 7);
        assert_eq!(booked(Some(&day("-2"))).expect("reads"), 0);
        assert!(booked(Some(&day("lots"))).is_err());
    }
}
