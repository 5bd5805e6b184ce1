//! An order: who ordered which cake, what it costs, where it is and how it got there.

use crate::catalogue::Product;
use crate::money::Cents;
use crate::status::{Status, Step, TransitionError};
use crate::timestamp::Timestamp;
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
    pub product_id: String,
    pub product_name: String,
    pub quantity: u32,
    pub unit_price_cents: Cents,
    pub total_cents: Cents,
    pub status: Status,
    pub created_at: Timestamp,
    /// Steps in the order they happened; each step at most once.
    pub history: Vec<HistoryEntry>,
}

/// A validated order request (`validation::parse_new_order`): a known product, a sane quantity and its exact price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub customer: Customer,
    pub product: &'static Product,
    pub quantity: u32,
    pub total_cents: Cents,
}

impl Order {
    /// A freshly placed order. `total` was computed when the request was validated.
    pub fn place(order_id: OrderId, new_order: NewOrder, at: Timestamp) -> Order {
        let NewOrder {
            customer,
            product,
            quantity,
            total_cents,
        } = new_order;
        let Product { id, name, price_cents } = *product;
        Order {
            order_id,
            customer,
            product_id: id.to_owned(),
            product_name: name.to_owned(),
            quantity,
            unit_price_cents: price_cents,
            total_cents,
            status: Status::Placed,
            created_at: at,
            history: vec![HistoryEntry { step: Step::Placed, at }],
        }
    }

    /// Whether this order is what `new_order` asks for: how a repeated request with the same
    /// idempotency key is told apart from a different order reusing the key.
    pub fn was_placed_as(&self, new_order: &NewOrder) -> bool {
        self.customer == new_order.customer
            && self.product_id == new_order.product.id
            && self.quantity == new_order.quantity
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

    fn placed() -> Order {
        let body = br#"{"name":"Ada","address":"1 Loop Road","productId":"red-velvet","quantity":2}"#;
        let new_order = parse_new_order(body).expect("valid");
        Order::place(OrderId::parse("o-1").expect("valid id"), new_order, at(1_000))
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
        let same = br#"{"address":"1 Loop Road","name":"Ada","quantity":2,"productId":"red-velvet"}"#;
        assert!(order.was_placed_as(&parse_new_order(same).expect("valid")));
        for other in [
            br#"{"name":"Ada","address":"1 Loop Road","productId":"red-velvet","quantity":3}"#.as_slice(),
            br#"{"name":"Ada","address":"2 Loop Road","productId":"red-velvet","quantity":2}"#,
            br#"{"name":"Ada","address":"1 Loop Road","productId":"red-velvet","quantity":2,"notes":"x"}"#,
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
