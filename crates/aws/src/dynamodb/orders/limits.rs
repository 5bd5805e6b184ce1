//! The client limits (`cakeshop_ports::Limiter`) in the order table: an item per window's
//! counter (`limit_item`), counted by a conditional `ADD` (`hits < max`), one `UpdateItem` for
//! a single window and one transaction for several, so no window is counted past its `max`
//! however many Lambdas race, a refused use writes nothing, and a use is one round trip. Each counter carries its window's end as `expiresAt`, the table's time-to-live
//! attribute, so DynamoDB deletes it once it no longer counts.

use super::DynamoOrders;
use super::booking::Transacted;
use crate::dynamodb::limit_item::{EXPIRES_AT, HITS, counter_key};
use crate::dynamodb::order_item::ORDER_ID;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use cakeshop_ports::limits::Counter;
use cakeshop_ports::{Limiter, PortError};
use futures::future::try_join_all;
use std::collections::HashMap;

const TAKE: &str = "counting a use of a client limit in DynamoDB";
const CHECK: &str = "reading a client limit from DynamoDB";
const GIVE_BACK: &str = "giving back a use of a client limit in DynamoDB";

const COUNT: &str = "ADD #hits :one SET #expires = :expires";
const HAS_ROOM: &str = "attribute_not_exists(#hits) OR #hits < :max";

fn number(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn count_names() -> HashMap<String, String> {
    HashMap::from([("#hits".into(), HITS.into()), ("#expires".into(), EXPIRES_AT.into())])
}

fn count_values(counter: &Counter) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (":one".into(), number(1)),
        (":max".into(), number(counter.window.max)),
        (":expires".into(), number(counter.expires_at)),
    ])
}

fn is_condition_failure(error: &SdkError<UpdateItemError>) -> bool {
    matches!(
        error.as_service_error(),
        Some(UpdateItemError::ConditionalCheckFailedException(_))
    )
}

impl DynamoOrders {
    /// Counts one use on `counter` if it has room; whether it did.
    async fn count_one(&self, counter: &Counter) -> Result<bool, PortError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(ORDER_ID, counter_key(counter))
            .update_expression(COUNT)
            .condition_expression(HAS_ROOM)
            .set_expression_attribute_names(Some(count_names()))
            .set_expression_attribute_values(Some(count_values(counter)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failure(&error) => Ok(false),
            Err(error) => Err(PortError::new(TAKE, error)),
        }
    }

    /// Counts one use on every counter if all have room, in one transaction; the full ones.
    async fn count_all(&self, counters: Vec<Counter>) -> Result<Vec<Counter>, PortError> {
        let mut actions = Vec::with_capacity(counters.len());
        for counter in &counters {
            let update = Update::builder()
                .table_name(&self.table)
                .key(ORDER_ID, counter_key(counter))
                .update_expression(COUNT)
                .condition_expression(HAS_ROOM)
                .set_expression_attribute_names(Some(count_names()))
                .set_expression_attribute_values(Some(count_values(counter)))
                .build()
                .map_err(|error| PortError::new(TAKE, error))?;
            actions.push(TransactWriteItem::builder().update(update).build());
        }
        Ok(match self.transact(actions, TAKE).await? {
            Transacted::Committed => Vec::new(),
            Transacted::Refused(reasons) => counters
                .into_iter()
                .zip(reasons)
                .filter_map(|(counter, refused)| refused.map(|_| counter))
                .collect(),
        })
    }

    async fn hits(&self, counter: &Counter) -> Result<u32, PortError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(ORDER_ID, counter_key(counter))
            .consistent_read(true)
            .projection_expression("#hits")
            .expression_attribute_names("#hits", HITS)
            .send()
            .await
            .map_err(|error| PortError::new(CHECK, error))?;
        match output.item().and_then(|item| item.get(HITS)) {
            None => Ok(0),
            Some(AttributeValue::N(hits)) => hits
                .parse()
                .map_err(|_| PortError::new(CHECK, format!("the counter {} holds {hits}", counter.key))),
            Some(_) => Err(PortError::new(
                CHECK,
                format!("the counter {} is not a number", counter.key),
            )),
        }
    }

    async fn uncount_one(&self, counter: &Counter) -> Result<(), PortError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(ORDER_ID, counter_key(counter))
            .update_expression("ADD #hits :less")
            .condition_expression("#hits > :zero")
            .expression_attribute_names("#hits", HITS)
            .expression_attribute_values(":less", number(-1))
            .expression_attribute_values(":zero", number(0))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Nothing counted (or the window already ended): nothing to give back.
            Err(error) if is_condition_failure(&error) => Ok(()),
            Err(error) => Err(PortError::new(GIVE_BACK, error)),
        }
    }
}

impl Limiter for DynamoOrders {
    async fn count(&self, mut counters: Vec<Counter>) -> Result<Vec<Counter>, PortError> {
        match counters.len() {
            1 => match counters.pop() {
                Some(counter) if !self.count_one(&counter).await? => Ok(vec![counter]),
                _ => Ok(Vec::new()),
            },
            _ => self.count_all(counters).await,
        }
    }

    async fn full(&self, counters: Vec<Counter>) -> Result<Vec<Counter>, PortError> {
        let hits = try_join_all(counters.iter().map(|counter| self.hits(counter))).await?;
        Ok(counters
            .into_iter()
            .zip(hits)
            .filter_map(|(counter, hits)| (hits >= counter.window.max).then_some(counter))
            .collect())
    }

    async fn uncount(&self, counters: Vec<Counter>) -> Result<(), PortError> {
        try_join_all(counters.iter().map(|counter| self.uncount_one(counter))).await?;
        Ok(())
    }
}
