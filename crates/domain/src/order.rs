//! An order: who ordered which cake, what it costs, where it is and how it got there.

use crate::calendar::Day;
use crate::catalogue::{Catalogue, Product, ProductId};
use crate::money::Cents;
use crate::request_error::{FieldError, RequestError};
use crate::status::{Status, Step, TransitionError};
use crate::timestamp::Timestamp;
use crate::trace::TraceId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An order identifier: 1–64 characters of `a-z`, `0-9`, `-` and `_`, so it is safe in keys,
/// URLs, log lines and email subjects without escaping.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("orderId must be 1 to 64 characters of a-z, 0-9, '-' or '_'")]
pub struct OrderIdError;

impl OrderId {
    pub fn parse(text: &str) -> Result<OrderId, OrderIdError> {
        let well_formed = (1..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if well_formed {
            Ok(OrderId(text.to_owned()))
        } else {
            Err(OrderIdError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OrderId {
    type Error = OrderIdError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        OrderId::parse(&text)
    }
}

impl From<OrderId> for String {
    fn from(id: OrderId) -> String {
        id.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The person the cake is for, as they gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub name: String,
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Who cancelled an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelledBy {
    /// The customer changed their mind while the order was still `placed`.
    Customer,
    /// The baker declined an order the shop cannot make.
    Baker,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cancellation {
    pub by: CancelledBy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub step: Step,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: OrderId,
    pub customer: Customer,
    pub product_id: ProductId,
    /// The product's name and price when the order was placed: a later change to the
    /// catalogue leaves the order as it was.
    pub product_name: String,
    pub quantity: u32,
    pub unit_price_cents: Cents,
    pub total_cents: Cents,
    /// The day the cake is delivered, which the order takes `quantity` of capacity from.
    pub delivery_date: Day,
    pub status: Status,
    pub created_at: Timestamp,
    /// Set when the order was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation: Option<Cancellation>,
    /// Steps in the order they happened; each step at most once.
    pub history: Vec<HistoryEntry>,
    /// The trace the order's work is followed in (`crate::trace`), started by the request
    /// that placed it. `None` for orders stored before orders kept one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<TraceId>,
}

/// An order as the customer sent it (`validation::parse_new_order`): well-formed, not yet
/// checked against the catalogue or the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub customer: Customer,
    pub product_id: ProductId,
    pub quantity: u32,
    /// `None`: the earliest day that can take it.
    pub delivery_date: Option<Day>,
}

impl OrderRequest {
    /// The order priced from the catalogue, for `delivery_date`: refused if the product is
    /// unknown or not on sale.
    pub fn priced(&self, catalogue: &Catalogue, delivery_date: Day) -> Result<NewOrder, RequestError> {
        let invalid = |message: String| {
            RequestError::Invalid(vec![FieldError {
                field: "productId",
                message,
            }])
        };
        let product = catalogue.find(self.product_id).ok_or_else(|| {
            invalid(format!(
                "unknown productId {}; GET /products lists the cakes on sale",
                self.product_id
            ))
        })?;
        if !product.available {
            return Err(invalid(format!(
                "{} (productId {}) is not on sale now; GET /products lists the cakes on sale",
                product.name, self.product_id
            )));
        }
        let total_cents = product.price_cents.times(self.quantity).ok_or_else(|| {
            RequestError::Invalid(vec![FieldError {
                field: "quantity",
                message: "quantity is too large".into(),
            }])
        })?;
        Ok(NewOrder {
            customer: self.customer.clone(),
            product: product.clone(),
            quantity: self.quantity,
            total_cents,
            delivery_date,
        })
    }
}

/// An order ready to store: a product on sale, a sane quantity, its exact price and its day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub customer: Customer,
    pub product: Product,
    pub quantity: u32,
    pub total_cents: Cents,
    pub delivery_date: Day,
}

impl Order {
    /// A freshly placed order. `total` was computed when the request was validated.
    pub fn place(order_id: OrderId, new_order: NewOrder, at: Timestamp) -> Order {
        let NewOrder {
            customer,
            product,
            quantity,
            total_cents,
            delivery_date,
        } = new_order;
        Order {
            order_id,
            customer,
            product_id: product.product_id,
            product_name: product.name,
            quantity,
            unit_price_cents: product.price_cents,
            total_cents,
            delivery_date,
            status: Status::Placed,
            created_at: at,
            cancellation: None,
            history: vec![HistoryEntry { step: Step::Placed, at }],
            trace_id: None,
        }
    }

    /// The order, followed in `trace`.
    pub fn in_trace(mut self, trace: TraceId) -> Order {
        self.trace_id = Some(trace);
        self
    }

    /// Whether this order is what `request` asks for: how a repeated request with the same
    /// idempotency key is told apart from a different order reusing the key. A request that
    /// named no day matches whichever day the first attempt was given.
    pub fn was_placed_as(&self, request: &OrderRequest) -> bool {
        self.customer == request.customer
            && self.product_id == request.product_id
            && self.quantity == request.quantity
            && request.delivery_date.is_none_or(|day| day == self.delivery_date)
    }

    /// The order as it was when placed: status `placed` and only the `placed` step.
    pub fn as_placed(&self) -> Order {
        let mut placed = self.clone();
        placed.status = Status::Placed;
        placed.history.retain(|entry| entry.step == Step::Placed);
        placed
    }

    pub fn has_step(&self, step: Step) -> bool {
        self.history.iter().any(|entry| entry.step == step)
    }

    pub fn step_time(&self, step: Step) -> Option<Timestamp> {
        self.history
            .iter()
            .find(|entry| entry.step == step)
            .map(|entry| entry.at)
    }

    /// Records `step` at `at` unless it is already recorded (a step happens once; a retry
    /// keeps the first time). Returns whether anything changed.
    pub fn record_step(&mut self, step: Step, at: Timestamp) -> bool {
        if self.has_step(step) {
            return false;
        }
        self.history.push(HistoryEntry { step, at });
        self.history.sort_by_key(|entry| entry.step);
        true
    }

    /// Moves the order to `to`, recording the step that status begins with.
    pub fn transition(&mut self, to: Status, at: Timestamp) -> Result<(), TransitionError> {
        self.status = self.status.transition_to(to)?;
        self.record_step(to.entry_step(), at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::parse_new_order;

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_unix_millis(millis).expect("in range")
    }

    fn day() -> Day {
        Day::parse("2026-12-24").expect("valid")
    }

    fn placed() -> Order {
        let body = br#"{"name":"Ada","address":"1 Loop Road","productId":3,"quantity":2}"#;
        let new_order = parse_new_order(body)
            .expect("valid")
            .priced(&Catalogue::sample(), day())
            .expect("on sale");
        Order::place(OrderId::parse("o-1").expect("valid id"), new_order, at(1_000))
    }

    #[test]
    fn pricing_refuses_unknown_and_retired_products() {
        let mut catalogue = Catalogue::sample();
        let request =
            parse_new_order(br#"{"name":"Ada","address":"1 Loop Road","productId":3,"quantity":2}"#).expect("valid");
        catalogue.products.retain(|p| p.product_id != ProductId(3));
        assert!(
            request
                .priced(&catalogue, day())
                .is_err_and(|e| e.to_string().contains("unknown productId 3"))
        );
        let mut catalogue = Catalogue::sample();
        catalogue
            .change(
                ProductId(3),
                crate::catalogue::ProductChange {
                    available: Some(false),
                    ..Default::default()
                },
            )
            .expect("known");
        assert!(
            request
                .priced(&catalogue, day())
                .is_err_and(|e| e.to_string().contains("not on sale"))
        );
    }

    #[test]
    fn placing_prices_the_order_and_records_the_first_step() {
        let order = placed();
        assert_eq!(order.unit_price_cents, Cents(3900));
        assert_eq!(order.total_cents, Cents(7800));
        assert_eq!(order.status, Status::Placed);
        assert_eq!(
            order.history,
            vec![HistoryEntry {
                step: Step::Placed,
                at: at(1_000)
            }]
        );
    }

    #[test]
    fn steps_are_kept_once_and_in_journey_order() {
        let mut order = placed();
        order.transition(Status::Fulfilled, at(3_000)).expect("legal");
        assert!(order.record_step(Step::BakerNotified, at(2_000)));
        assert!(!order.record_step(Step::BakerNotified, at(9_000)));
        let steps: Vec<_> = order.history.iter().map(|e| (e.step, e.at)).collect();
        assert_eq!(
            steps,
            vec![
                (Step::Placed, at(1_000)),
                (Step::BakerNotified, at(2_000)),
                (Step::Fulfilled, at(3_000)),
            ]
        );
    }

    #[test]
    fn illegal_transitions_change_nothing() {
        let mut order = placed();
        let before = order.clone();
        assert!(order.transition(Status::Delivered, at(2_000)).is_err());
        assert_eq!(order, before);
    }

    #[test]
    fn a_repeated_request_is_told_apart_from_a_different_one() {
        let order = placed();
        let same = br#"{"address":"1 Loop Road","name":"Ada","quantity":2,"productId":3}"#;
        assert!(order.was_placed_as(&parse_new_order(same).expect("valid")));
        let same_day =
            br#"{"address":"1 Loop Road","name":"Ada","quantity":2,"productId":3,"deliveryDate":"2026-12-24"}"#;
        assert!(order.was_placed_as(&parse_new_order(same_day).expect("valid")));
        for other in [
            br#"{"name":"Ada","address":"1 Loop Road","productId":3,"quantity":3}"#.as_slice(),
            br#"{"name":"Ada","address":"2 Loop Road","productId":3,"quantity":2}"#,
            br#"{"name":"Ada","address":"1 Loop Road","productId":3,"quantity":2,"notes":"x"}"#,
            br#"{"name":"Ada","address":"1 Loop Road","productId":4,"quantity":2}"#,
            br#"{"name":"Ada","address":"1 Loop Road","productId":3,"quantity":2,"deliveryDate":"2026-12-23"}"#,
        ] {
            assert!(!order.was_placed_as(&parse_new_order(other).expect("valid")));
        }
    }

    #[test]
    fn order_ids_are_restricted_to_safe_characters() {
        assert!(OrderId::parse("0f9a-b_c").is_ok());
        for bad in ["", "A", "a b", "a/b", "<script>", &"a".repeat(65)] {
            assert!(OrderId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
