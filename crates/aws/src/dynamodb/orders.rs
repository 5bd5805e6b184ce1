//! The order table on DynamoDB: every change is one conditional write (a transaction with the
//! day's counter when it takes or gives back capacity: `booking`), so two Lambdas racing on the
//! same order cannot both win, and nothing is decided by reading first. A change that owes the
//! stream an event marks it pending in that same write (`outbox_item`). The shop's rules and
//! the day counters live in the same table (`bakery`, `bakery_item`).

mod bakery;
mod booking;
mod by_status;
mod limits;
mod outbox;

use crate::dynamodb::order_item::{HISTORY, Item, ORDER_ID, STATUS, from_item, order_id_key};
use crate::dynamodb::outbox_item::{
    OUTBOX_BUCKET, OUTBOX_SINCE, PENDING_BUCKET, PENDING_EVENTS, kind_set, sortable_time,
};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use cakeshop_domain::{Cancellation, EventKind, Order, OrderId, Status, Step, Timestamp};
use cakeshop_ports::{
    CreateOutcome, OrderRepository, PortError, StatusCursor, StatusPage, StepOutcome, TransitionOutcome,
};

const GET: &str = "reading an order from DynamoDB";
const TRANSITION: &str = "changing an order's status in DynamoDB";
const RECORD_STEP: &str = "recording an order step in DynamoDB";

/// Orders in one DynamoDB table keyed by `orderId` (see `order_item` and `outbox_item` for the
/// layout), with the shop's rules and day counters beside them (`bakery_item`).
#[derive(Debug, Clone)]
pub struct DynamoOrders {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoOrders {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> DynamoOrders {
        DynamoOrders {
            client,
            table: table.into(),
        }
    }

    /// The order as it is now: the item a refused write returned (`ALL_OLD`), or, when the
    /// service sent none (the item is absent, or an emulator does not return it), a
    /// consistent read.
    async fn current(
        &self,
        order_id: &OrderId,
        returned: Option<Item>,
        operation: &'static str,
    ) -> Result<Option<Order>, PortError> {
        match returned {
            Some(item) => decode(&item, operation).map(Some),
            None => self.read(order_id, operation).await,
        }
    }

    async fn read(&self, order_id: &OrderId, operation: &'static str) -> Result<Option<Order>, PortError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(ORDER_ID, order_id_key(order_id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| PortError::new(operation, error))?;
        output.item().map(|item| decode(item, operation)).transpose()
    }

    /// One conditional `UpdateItem` that returns the order as written (`ALL_NEW`), or, when
    /// its condition failed, what the table said about the item.
    async fn update(
        &self,
        order_id: &OrderId,
        update: &str,
        condition: &str,
        names: &[(&str, &str)],
        values: &[(&str, AttributeValue)],
        operation: &'static str,
    ) -> Result<Written, PortError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(ORDER_ID, order_id_key(order_id))
            .update_expression(update)
            .condition_expression(condition)
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (placeholder, name) in names {
            request = request.expression_attribute_names(*placeholder, *name);
        }
        for (placeholder, value) in values {
            request = request.expression_attribute_values(*placeholder, value.clone());
        }
        match request.send().await {
            Ok(output) => match output.attributes() {
                Some(item) => decode(item, operation).map(Written::Applied),
                None => Err(PortError::new(
                    operation,
                    "the table returned no attributes for an applied update",
                )),
            },
            Err(error) => match refused_update(&error) {
                Some(returned) => Ok(Written::Refused(self.current(order_id, returned, operation).await?)),
                None => Err(PortError::new(operation, error)),
            },
        }
    }
}

/// The outcome of a conditional update.
enum Written {
    Applied(Order),
    /// The condition failed; the order as it is now, if there is one.
    Refused(Option<Order>),
}

fn decode(item: &Item, operation: &'static str) -> Result<Order, PortError> {
    from_item(item).map_err(|error| PortError::new(operation, error))
}

/// `Some(item the service returned, if any)` when the write's condition failed.
fn refused_update(error: &SdkError<UpdateItemError>) -> Option<Option<Item>> {
    match error.as_service_error() {
        Some(UpdateItemError::ConditionalCheckFailedException(refusal)) => Some(refusal.item().cloned()),
        _ => None,
    }
}

fn time(at: Timestamp) -> AttributeValue {
    AttributeValue::S(at.to_string())
}

impl OrderRepository for DynamoOrders {
    async fn create(&self, order: &Order, day_capacity: u32) -> Result<CreateOutcome, PortError> {
        self.create_taking_capacity(order, day_capacity).await
    }

    async fn get(&self, order_id: &OrderId) -> Result<Option<Order>, PortError> {
        self.read(order_id, GET).await
    }

    async fn transition(
        &self,
        order_id: &OrderId,
        from: Status,
        to: Status,
        at: Timestamp,
    ) -> Result<TransitionOutcome, PortError> {
        // The condition below only compares the stored status with `from`; whether `from → to`
        // is a move at all is the domain's rule. An illegal one writes nothing and is answered
        // like a stale `from`, with the order as it is now, as every store answers it. That
        // includes any move to `cancelled`: only `cancel` gives the day its cakes back.
        if !from.can_become(to) {
            return Ok(match self.read(order_id, TRANSITION).await? {
                Some(order) => TransitionOutcome::Conflict(Box::new(order)),
                None => TransitionOutcome::NotFound,
            });
        }
        let mut update = String::from("SET #status = :to, #history.#step = :at");
        let mut names = vec![
            ("#status", STATUS),
            ("#history", HISTORY),
            ("#step", to.entry_step().as_str()),
        ];
        let mut values = vec![
            (":from", AttributeValue::S(from.as_str().to_owned())),
            (":to", AttributeValue::S(to.as_str().to_owned())),
            (":at", time(at)),
        ];
        if let Some(kind) = EventKind::announcing(to) {
            // An older mark keeps its time: the oldest decides when the order is due.
            update.push_str(", #bucket = :bucket, #since = if_not_exists(#since, :since) ADD #pending :kind");
            names.extend([
                ("#bucket", OUTBOX_BUCKET),
                ("#since", OUTBOX_SINCE),
                ("#pending", PENDING_EVENTS),
            ]);
            let since = sortable_time(at).map_err(|error| PortError::new(TRANSITION, error))?;
            values.extend([
                (":bucket", AttributeValue::S(PENDING_BUCKET.to_owned())),
                (":since", AttributeValue::S(since)),
                (":kind", kind_set(kind)),
            ]);
        }
        let written = self
            .update(order_id, &update, "#status = :from", &names, &values, TRANSITION)
            .await?;
        Ok(match written {
            Written::Applied(order) => TransitionOutcome::Applied(Box::new(order)),
            Written::Refused(Some(order)) => TransitionOutcome::Conflict(Box::new(order)),
            Written::Refused(None) => TransitionOutcome::NotFound,
        })
    }

    async fn cancel(
        &self,
        placed: &Order,
        cancellation: &Cancellation,
        at: Timestamp,
    ) -> Result<TransitionOutcome, PortError> {
        self.cancel_giving_back(placed, cancellation, at).await
    }

    async fn record_step(&self, order_id: &OrderId, step: Step, at: Timestamp) -> Result<StepOutcome, PortError> {
        let written = self
            .update(
                order_id,
                "SET #history.#step = :at",
                "attribute_exists(#id) AND attribute_not_exists(#history.#step)",
                &[("#id", ORDER_ID), ("#history", HISTORY), ("#step", step.as_str())],
                &[(":at", time(at))],
                RECORD_STEP,
            )
            .await?;
        Ok(match written {
            Written::Applied(order) => StepOutcome::Recorded(Box::new(order)),
            Written::Refused(Some(order)) => StepOutcome::AlreadyRecorded(Box::new(order)),
            Written::Refused(None) => StepOutcome::NotFound,
        })
    }

    async fn list_by_status(
        &self,
        status: Status,
        limit: usize,
        after: Option<&StatusCursor>,
    ) -> Result<StatusPage, PortError> {
        self.page_by_status(status, limit, after).await
    }
}
