//! Listing orders by status: one Query of the `orders-by-status` index (`status_index`), never
//! a Scan, so a page costs the same however many orders the table holds.

use super::DynamoOrders;
use crate::dynamodb::order_item::{Item, STATUS, from_item};
use crate::dynamodb::status_index::{ORDERS_BY_STATUS_INDEX, STATUS_SORT_KEY, cursor_key};
use aws_sdk_dynamodb::types::AttributeValue;
use cakeshop_domain::Status;
use cakeshop_ports::{PortError, StatusCursor, StatusPage};

const LIST_BY_STATUS: &str = "listing orders by status in DynamoDB";

impl DynamoOrders {
    pub(super) async fn page_by_status(
        &self,
        status: Status,
        limit: usize,
        after: Option<&StatusCursor>,
    ) -> Result<StatusPage, PortError> {
        let error = |error| PortError::new(LIST_BY_STATUS, error);
        let after = after.map(cursor_key).transpose().map_err(error)?;
        // One more than asked for, to know whether a next page exists.
        let wanted = limit.saturating_add(1);
        let mut orders = Vec::new();
        let mut start: Option<Item> = None;
        // A Query page stops at 1 MB; go on until enough orders are read or none are left.
        while orders.len() < wanted {
            let page_size = i32::try_from(wanted - orders.len()).unwrap_or(i32::MAX);
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(ORDERS_BY_STATUS_INDEX)
                .expression_attribute_names("#status", STATUS)
                .expression_attribute_values(":status", AttributeValue::S(status.as_str().to_owned()))
                .scan_index_forward(true)
                .limit(page_size)
                .set_exclusive_start_key(start.take());
            query = match &after {
                Some(after) => query
                    .key_condition_expression("#status = :status AND #sort > :after")
                    .expression_attribute_names("#sort", STATUS_SORT_KEY)
                    .expression_attribute_values(":after", AttributeValue::S(after.clone())),
                None => query.key_condition_expression("#status = :status"),
            };
            let page = query.send().await.map_err(|e| PortError::new(LIST_BY_STATUS, e))?;
            for item in page.items() {
                orders.push(from_item(item).map_err(|e| PortError::new(LIST_BY_STATUS, e))?);
            }
            match page.last_evaluated_key() {
                Some(key) => start = Some(key.clone()),
                None => break,
            }
        }
        Ok(StatusPage::from_one_more_than(orders, limit))
    }
}
