//! Creating an order and cancelling one, each one TransactWriteItems with the day counter
//! (`bakery_item`): the order's conditional write and the counter's ADD succeed together or
//! not at all, so a day can never take more than its capacity, however many Lambdas place
//! orders for it at once, and a cancelled order's cakes are free again the moment it is.
//!
//! DynamoDB answers a refused transaction with one cancellation reason per action, in order.
//! The order's own action comes first and its failed condition decides (an existing order
//! wins over a full day). A transaction that collided with another one writing the same day
//! (`TransactionConflict`) was refused for no reason of its own and is sent again.

use super::{DynamoOrders, time};
use crate::dynamodb::bakery_item::{BOOKED, booked, day_key};
use crate::dynamodb::order_item::{
    CANCELLATION, HISTORY, Item, ORDER_ID, STATUS, cancellation_value, from_item, order_id_key, to_item,
};
use crate::dynamodb::outbox_item::{
    OUTBOX_BUCKET, OUTBOX_SINCE, PENDING_BUCKET, PENDING_EVENTS, kind_set, mark_new_item, sortable_time,
};
use crate::dynamodb::status_index::list_new_item;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use cakeshop_domain::{Cancellation, EventKind, Order, Status, Step, Timestamp};
use cakeshop_ports::{CreateOutcome, PortError, TransitionOutcome};
use std::time::Duration;

pub(super) const CREATE: &str = "storing a new order in DynamoDB";
const CANCEL: &str = "cancelling an order in DynamoDB";

/// How many times a transaction is sent while it keeps colliding with others: the pauses
/// between add up to at most 1.3 s, well inside an HTTP function's 6 s.
const ATTEMPTS: u32 = 6;

/// The outcome of a transaction.
pub(super) enum Transacted {
    Committed,
    /// A condition failed: for each action, `None` if its condition held, or `Some` with the
    /// item as the table returned it (if it did) if it failed.
    Refused(Vec<Option<Option<Item>>>),
}

/// What one cancellation reason says.
enum Reason {
    Passed,
    ConditionFailed(Option<Item>),
    Conflict,
    Other(String),
}

fn reason(reason: &CancellationReason) -> Reason {
    match reason.code() {
        None | Some("None") => Reason::Passed,
        Some("ConditionalCheckFailed") => Reason::ConditionFailed(reason.item().cloned()),
        Some("TransactionConflict") => Reason::Conflict,
        Some(code) => Reason::Other(format!("{code}: {}", reason.message().unwrap_or_default())),
    }
}

impl DynamoOrders {
    /// Sends the actions as one transaction, again while it only collided with another.
    pub(super) async fn transact(
        &self,
        actions: Vec<TransactWriteItem>,
        operation: &'static str,
    ) -> Result<Transacted, PortError> {
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt)).await;
            }
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(actions.clone()))
                .send()
                .await;
            let error = match result {
                Ok(_) => return Ok(Transacted::Committed),
                Err(error) => error,
            };
            let reasons: Vec<Reason> = match canceled(&error) {
                Some(reasons) if reasons.len() == actions.len() => reasons.iter().map(reason).collect(),
                _ => return Err(PortError::new(operation, error)),
            };
            let first_refused = matches!(reasons.first(), Some(Reason::ConditionFailed(_)));
            if !first_refused && reasons.iter().any(|r| matches!(r, Reason::Conflict)) {
                continue;
            }
            if let Some(other) = reasons.iter().find_map(|r| match r {
                Reason::Other(text) => Some(text.clone()),
                _ => None,
            }) {
                return Err(PortError::new(
                    operation,
                    format!("the transaction was refused ({other})"),
                ));
            }
            return Ok(Transacted::Refused(
                reasons
                    .into_iter()
                    .map(|r| match r {
                        Reason::ConditionFailed(item) => Some(item),
                        _ => None,
                    })
                    .collect(),
            ));
        }
        Err(PortError::new(
            operation,
            format!("the transaction collided with others on the same items {ATTEMPTS} times"),
        ))
    }

    pub(super) async fn create_taking_capacity(
        &self,
        order: &Order,
        day_capacity: u32,
    ) -> Result<CreateOutcome, PortError> {
        let Some(most_booked_before) = day_capacity.checked_sub(order.quantity) else {
            // Too many cakes for the day even were nothing booked: refused without a write,
            // unless the order is already stored (a repeat finds it).
            let (stored, booked) = self.order_and_booked(order).await?;
            return Ok(match stored {
                Some(stored) => CreateOutcome::AlreadyExists(Box::new(stored)),
                None => CreateOutcome::DayFull { booked },
            });
        };
        let mut item = to_item(order);
        mark_new_item(&mut item, EventKind::OrderPlaced, order.created_at)
            .map_err(|error| PortError::new(CREATE, error))?;
        list_new_item(&mut item, order).map_err(|error| PortError::new(CREATE, error))?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", ORDER_ID)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|error| PortError::new(CREATE, error))?;
        let take = Update::builder()
            .table_name(&self.table)
            .key(ORDER_ID, day_key(order.delivery_date))
            .update_expression("ADD #booked :quantity")
            .condition_expression("attribute_not_exists(#booked) OR #booked <= :most")
            .expression_attribute_names("#booked", BOOKED)
            .expression_attribute_values(":quantity", number(i64::from(order.quantity)))
            .expression_attribute_values(":most", number(i64::from(most_booked_before)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|error| PortError::new(CREATE, error))?;
        let actions = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().update(take).build(),
        ];
        let refused = match self.transact(actions, CREATE).await? {
            Transacted::Committed => return Ok(CreateOutcome::Created),
            Transacted::Refused(refused) => refused,
        };
        // The table returns the refused items (ALL_OLD); read them only if it did not.
        let decoded = |item: &Item| from_item(item).map_err(|error| PortError::new(CREATE, error));
        match refused.as_slice() {
            [Some(returned), _] => {
                let stored = match returned {
                    Some(item) => Some(decoded(item)?),
                    None => self.order_and_booked(order).await?.0,
                };
                match stored {
                    Some(stored) => Ok(CreateOutcome::AlreadyExists(Box::new(stored))),
                    // Orders are never deleted, so this is a table changed behind the shop's back.
                    None => Err(PortError::new(
                        CREATE,
                        format!("order {} was refused as existing but cannot be read", order.order_id),
                    )),
                }
            }
            [None, Some(returned)] => {
                let booked = match returned {
                    Some(day) => booked(Some(day)).map_err(|error| PortError::new(CREATE, error))?,
                    None => self.order_and_booked(order).await?.1,
                };
                Ok(CreateOutcome::DayFull { booked })
            }
            _ => Err(PortError::new(
                CREATE,
                "the transaction was refused, yet no condition failed",
            )),
        }
    }

    /// The order as stored, if it is, and its day's count of booked cakes, in one strongly
    /// consistent BatchGetItem (placing an order reads with BatchGetItem only, never GetItem).
    async fn order_and_booked(&self, order: &Order) -> Result<(Option<Order>, u32), PortError> {
        let day = day_key(order.delivery_date);
        let items = self
            .batch_get(vec![order_id_key(&order.order_id), day.clone()], CREATE)
            .await?;
        let stored = items
            .get(order.order_id.as_str())
            .map(from_item)
            .transpose()
            .map_err(|error| PortError::new(CREATE, error))?;
        let day_item = match &day {
            AttributeValue::S(name) => items.get(name),
            _ => None,
        };
        let booked = booked(day_item).map_err(|error| PortError::new(CREATE, error))?;
        Ok((stored, booked))
    }

    pub(super) async fn cancel_giving_back(
        &self,
        placed: &Order,
        cancellation: &Cancellation,
        at: Timestamp,
    ) -> Result<TransitionOutcome, PortError> {
        let order_id = &placed.order_id;
        let kind = EventKind::OrderCancelled;
        let since = sortable_time(at).map_err(|error| PortError::new(CANCEL, error))?;
        // As `transition` writes a status change: the status (the index's partition, so the
        // order moves to the cancelled listing), the step, the outbox mark (an older mark keeps
        // its time); and the cancellation itself.
        let cancel = Update::builder()
            .table_name(&self.table)
            .key(ORDER_ID, order_id_key(order_id))
            .update_expression(
                "SET #status = :cancelled, #history.#step = :at, #cancellation = :cancellation, \
                 #bucket = :bucket, #since = if_not_exists(#since, :since) ADD #pending :kind",
            )
            .condition_expression("#status = :placed")
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#history", HISTORY)
            .expression_attribute_names("#step", Step::Cancelled.as_str())
            .expression_attribute_names("#cancellation", CANCELLATION)
            .expression_attribute_names("#bucket", OUTBOX_BUCKET)
            .expression_attribute_names("#since", OUTBOX_SINCE)
            .expression_attribute_names("#pending", PENDING_EVENTS)
            .expression_attribute_values(":placed", AttributeValue::S(Status::Placed.as_str().to_owned()))
            .expression_attribute_values(":cancelled", AttributeValue::S(Status::Cancelled.as_str().to_owned()))
            .expression_attribute_values(":at", time(at))
            .expression_attribute_values(":cancellation", cancellation_value(cancellation))
            .expression_attribute_values(":bucket", AttributeValue::S(PENDING_BUCKET.to_owned()))
            .expression_attribute_values(":since", AttributeValue::S(since))
            .expression_attribute_values(":kind", kind_set(kind))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|error| PortError::new(CANCEL, error))?;
        let give_back = Update::builder()
            .table_name(&self.table)
            .key(ORDER_ID, day_key(placed.delivery_date))
            .update_expression("ADD #booked :minus")
            .expression_attribute_names("#booked", BOOKED)
            .expression_attribute_values(":minus", number(-i64::from(placed.quantity)))
            .build()
            .map_err(|error| PortError::new(CANCEL, error))?;
        let actions = vec![
            TransactWriteItem::builder().update(cancel).build(),
            TransactWriteItem::builder().update(give_back).build(),
        ];
        match self.transact(actions, CANCEL).await? {
            // A transaction returns nothing written; read the order back.
            Transacted::Committed => match self.read(order_id, CANCEL).await? {
                Some(order) => Ok(TransitionOutcome::Applied(Box::new(order))),
                None => Err(PortError::new(
                    CANCEL,
                    format!("order {order_id} was cancelled but cannot be read"),
                )),
            },
            Transacted::Refused(refused) => match refused.into_iter().next() {
                Some(Some(returned)) => Ok(match self.current(order_id, returned, CANCEL).await? {
                    Some(order) => TransitionOutcome::Conflict(Box::new(order)),
                    None => TransitionOutcome::NotFound,
                }),
                _ => Err(PortError::new(
                    CANCEL,
                    "the transaction was refused, yet no condition failed",
                )),
            },
        }
    }
}

fn canceled(error: &SdkError<TransactWriteItemsError>) -> Option<&[CancellationReason]> {
    match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(canceled)) => Some(canceled.cancellation_reasons()),
        _ => None,
    }
}

fn number(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// 20 ms, 40 ms, 80 ms… before try `attempt`, plus up to as much again at random, so that
/// transactions that collided once do not collide again in step.
fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(10) * 2u32.saturating_pow(attempt.min(10));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.subsec_nanos())
        .unwrap_or(0);
    let jitter = base.mul_f64(f64::from(nanos % 1_000) / 1_000.0);
    base + jitter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_tell_a_failed_condition_from_a_collision() {
        let coded = |code: &str| CancellationReason::builder().code(code).build();
        assert!(matches!(reason(&coded("None")), Reason::Passed));
        assert!(matches!(reason(&CancellationReason::builder().build()), Reason::Passed));
        assert!(matches!(
            reason(&coded("ConditionalCheckFailed")),
            Reason::ConditionFailed(None)
        ));
        assert!(matches!(reason(&coded("TransactionConflict")), Reason::Conflict));
        let throttled = CancellationReason::builder()
            .code("ThrottlingError")
            .message("slow down")
            .build();
        assert!(matches!(reason(&throttled), Reason::Other(text) if text == "ThrottlingError: slow down"));
    }

    #[test]
    fn the_pauses_between_tries_double_and_fit_well_inside_a_request() {
        let mut total = Duration::ZERO;
        for attempt in 1..ATTEMPTS {
            let base = Duration::from_millis(10) * 2u32.pow(attempt);
            let pause = backoff(attempt);
            assert!(base <= pause && pause <= base * 2, "try {attempt}: {pause:?}");
            total += pause;
        }
        assert!(total <= Duration::from_millis(1300), "{total:?}");
    }
}
