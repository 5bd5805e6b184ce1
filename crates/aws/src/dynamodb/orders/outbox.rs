//! The outbox of the order table: listing marked orders from the sparse index, clearing marks.

use super::DynamoOrders;
use crate::dynamodb::order_item::{Item, ORDER_ID, order_id_key};
use crate::dynamodb::outbox_item::{
    IndexEntry, OUTBOX_BUCKET, OUTBOX_SINCE, PENDING_BUCKET, PENDING_EVENTS, PENDING_EVENTS_INDEX, has_pending_events,
    index_entry, is_indexed, kind_set, sortable_time,
};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use cakeshop_domain::{EventKind, OrderId, Timestamp};
use cakeshop_ports::{Outbox, PendingEvents, PortError};

const PENDING: &str = "listing orders with unpublished events in DynamoDB";
const MARK_PUBLISHED: &str = "clearing a published event's mark in DynamoDB";

impl Outbox for DynamoOrders {
    async fn pending(&self, marked_before: Timestamp, limit: usize) -> Result<Vec<PendingEvents>, PortError> {
        let before = sortable_time(marked_before).map_err(|error| PortError::new(PENDING, error))?;
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        while found.len() < limit {
            let wanted = i32::try_from(limit - found.len()).unwrap_or(i32::MAX);
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(PENDING_EVENTS_INDEX)
                .key_condition_expression("#bucket = :bucket AND #since < :before")
                .expression_attribute_names("#bucket", OUTBOX_BUCKET)
                .expression_attribute_names("#since", OUTBOX_SINCE)
                .expression_attribute_values(":bucket", AttributeValue::S(PENDING_BUCKET.to_owned()))
                .expression_attribute_values(":before", AttributeValue::S(before.clone()))
                .scan_index_forward(true)
                .limit(wanted)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|error| PortError::new(PENDING, error))?;
            for item in page.items() {
                match index_entry(item).map_err(|error| PortError::new(PENDING, error))? {
                    IndexEntry::Pending(entry) => found.push(entry),
                    // Finished here, so such entries cannot pile up in front of due ones.
                    IndexEntry::Unmarked(order_id) => self.unlist(&order_id, PENDING).await?,
                    IndexEntry::OnlyUnknownKinds => {}
                }
            }
            match page.last_evaluated_key() {
                Some(key) => start = Some(key.clone()),
                None => break,
            }
        }
        found.truncate(limit);
        Ok(found)
    }

    async fn mark_published(&self, order_id: &OrderId, kind: EventKind) -> Result<(), PortError> {
        // Conditional, since an UpdateItem on an absent key would create an item.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(ORDER_ID, order_id_key(order_id))
            .update_expression("DELETE #pending :kind")
            .condition_expression("attribute_exists(#id)")
            .expression_attribute_names("#pending", PENDING_EVENTS)
            .expression_attribute_names("#id", ORDER_ID)
            .expression_attribute_values(":kind", kind_set(kind))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let cleared = match result {
            Ok(output) => output.attributes.unwrap_or_default(),
            Err(error) if is_condition_failure(&error) => return Ok(()),
            Err(error) => return Err(PortError::new(MARK_PUBLISHED, error)),
        };
        if !has_pending_events(&cleared) && is_indexed(&cleared) {
            self.unlist(order_id, MARK_PUBLISHED).await?;
        }
        Ok(())
    }
}

impl DynamoOrders {
    /// Takes an order off the index once its last mark is cleared. A failed condition means a
    /// new mark arrived in between, and the order rightly stays listed.
    async fn unlist(&self, order_id: &OrderId, operation: &'static str) -> Result<(), PortError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(ORDER_ID, order_id_key(order_id))
            .update_expression("REMOVE #bucket, #since")
            .condition_expression("attribute_exists(#id) AND attribute_not_exists(#pending)")
            .expression_attribute_names("#bucket", OUTBOX_BUCKET)
            .expression_attribute_names("#since", OUTBOX_SINCE)
            .expression_attribute_names("#id", ORDER_ID)
            .expression_attribute_names("#pending", PENDING_EVENTS)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if is_condition_failure(&error) => Ok(()),
            Err(error) => Err(PortError::new(operation, error)),
        }
    }
}

fn is_condition_failure(error: &SdkError<UpdateItemError>) -> bool {
    matches!(
        error.as_service_error(),
        Some(UpdateItemError::ConditionalCheckFailedException(_))
    )
}
