//! The shop's rules and day counters on the order table (`bakery_item`): the settings read in
//! one strongly consistent BatchGetItem, the counters in another, each save one PutItem
//! conditional on the version it was read at.

use super::DynamoOrders;
use crate::dynamodb::bakery_item::{
    CAPACITY_KEY, CATALOGUE_KEY, SHOP_STATUS_KEY, VERSION, booked, day_key, item_key, key, setting, setting_item,
};
use crate::dynamodb::order_item::{Item, ORDER_ID};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use cakeshop_domain::{CapacitySettings, Catalogue, Day, ShopStatus};
use cakeshop_ports::{Bakery, MAX_DAYS_READ, PortError, Saved, ShopRules};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const RULES: &str = "reading the shop's rules from DynamoDB";
const READ_BOOKED: &str = "reading days' booked cakes from DynamoDB";
const SAVE_CATALOGUE: &str = "saving the catalogue in DynamoDB";
const SAVE_CAPACITY: &str = "saving the capacity settings in DynamoDB";
const SAVE_SHOP: &str = "saving the shop's status in DynamoDB";

/// How many times a BatchGetItem is sent while DynamoDB leaves some of its keys unprocessed
/// (it does under throttling), backing off between tries.
const BATCH_ATTEMPTS: u32 = 5;

impl DynamoOrders {
    /// The items stored under `keys` (at most 100, none twice), by key, read strongly
    /// consistently; a key with no item is absent from the map.
    pub(super) async fn batch_get(
        &self,
        keys: Vec<AttributeValue>,
        operation: &'static str,
    ) -> Result<HashMap<String, Item>, PortError> {
        let mut found = HashMap::new();
        if keys.is_empty() {
            return Ok(found);
        }
        let mut wanted = KeysAndAttributes::builder()
            .set_keys(Some(
                keys.into_iter()
                    .map(|key| HashMap::from([(ORDER_ID.to_owned(), key)]))
                    .collect(),
            ))
            .consistent_read(true)
            .build()
            .map_err(|error| PortError::new(operation, error))?;
        for attempt in 0..BATCH_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(25 << attempt)).await;
            }
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, wanted.clone())
                .send()
                .await
                .map_err(|error| PortError::new(operation, error))?;
            let items = output.responses().and_then(|tables| tables.get(&self.table));
            for item in items.into_iter().flatten() {
                if let Some(name) = item_key(item) {
                    found.insert(name.to_owned(), item.clone());
                }
            }
            match output.unprocessed_keys().and_then(|tables| tables.get(&self.table)) {
                Some(left) if !left.keys().is_empty() => wanted = left.clone(),
                _ => return Ok(found),
            }
        }
        Err(PortError::new(
            operation,
            format!("DynamoDB still left keys unprocessed after {BATCH_ATTEMPTS} attempts"),
        ))
    }

    /// Stores `document` under `key_name` at `expected + 1` if the stored version is still
    /// `expected` (0: nothing stored).
    async fn save_setting(
        &self,
        key_name: &str,
        document: serde_json::Result<String>,
        expected: u64,
        operation: &'static str,
    ) -> Result<Saved, PortError> {
        let document = document.map_err(|error| PortError::new(operation, error))?;
        let version = expected
            .checked_add(1)
            .ok_or_else(|| PortError::new(operation, "the stored version cannot be raised any further"))?;
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(setting_item(key_name, document, version)));
        let request = if expected == 0 {
            request
                .condition_expression("attribute_not_exists(#id)")
                .expression_attribute_names("#id", ORDER_ID)
        } else {
            request
                .condition_expression("#version = :expected")
                .expression_attribute_names("#version", VERSION)
                .expression_attribute_values(":expected", AttributeValue::N(expected.to_string()))
        };
        match request.send().await {
            Ok(_) => Ok(Saved::Stored { version }),
            Err(error) if is_condition_failure(&error) => Ok(Saved::Stale),
            Err(error) => Err(PortError::new(operation, error)),
        }
    }
}

fn is_condition_failure(error: &SdkError<PutItemError>) -> bool {
    matches!(
        error.as_service_error(),
        Some(PutItemError::ConditionalCheckFailedException(_))
    )
}

impl Bakery for DynamoOrders {
    async fn rules(&self) -> Result<Arc<ShopRules>, PortError> {
        let items = self
            .batch_get(vec![key(CATALOGUE_KEY), key(CAPACITY_KEY), key(SHOP_STATUS_KEY)], RULES)
            .await?;
        let failed = |error| PortError::new(RULES, error);
        Ok(Arc::new(ShopRules {
            catalogue: setting(
                CATALOGUE_KEY,
                items.get(CATALOGUE_KEY),
                |json| serde_json::from_str::<Catalogue>(json),
                Catalogue::sample,
            )
            .map_err(failed)?,
            capacity: setting(
                CAPACITY_KEY,
                items.get(CAPACITY_KEY),
                |json| serde_json::from_str::<CapacitySettings>(json),
                CapacitySettings::default,
            )
            .map_err(failed)?,
            shop: setting(
                SHOP_STATUS_KEY,
                items.get(SHOP_STATUS_KEY),
                |json| serde_json::from_str::<ShopStatus>(json),
                ShopStatus::default,
            )
            .map_err(failed)?,
        }))
    }

    async fn booked(&self, from: Day, days: u16) -> Result<Vec<u32>, PortError> {
        if days > MAX_DAYS_READ {
            return Err(PortError::new(
                READ_BOOKED,
                format!("{days} days asked for; at most {MAX_DAYS_READ} are read at once"),
            ));
        }
        let keys: Vec<AttributeValue> = from.range(days).map(day_key).collect();
        let items = self.batch_get(keys.clone(), READ_BOOKED).await?;
        keys.iter()
            .map(|key| {
                let item = match key {
                    AttributeValue::S(name) => items.get(name),
                    _ => None,
                };
                booked(item).map_err(|error| PortError::new(READ_BOOKED, error))
            })
            .collect()
    }

    async fn save_catalogue(&self, catalogue: &Catalogue, expected: u64) -> Result<Saved, PortError> {
        self.save_setting(
            CATALOGUE_KEY,
            serde_json::to_string(catalogue),
            expected,
            SAVE_CATALOGUE,
        )
        .await
    }

    async fn save_capacity(&self, settings: &CapacitySettings, expected: u64) -> Result<Saved, PortError> {
        self.save_setting(CAPACITY_KEY, serde_json::to_string(settings), expected, SAVE_CAPACITY)
            .await
    }

    async fn save_shop(&self, status: &ShopStatus, expected: u64) -> Result<Saved, PortError> {
        self.save_setting(SHOP_STATUS_KEY, serde_json::to_string(status), expected, SAVE_SHOP)
            .await
    }
}
