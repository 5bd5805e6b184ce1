//! The order status machine and the history steps recorded along the way.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an order is. The path is `placed → fulfilled → out_for_delivery → delivered`, and a
/// placed order may instead be `cancelled` (final).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Placed,
    Fulfilled,
    OutForDelivery,
    Delivered,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Placed,
        Status::Fulfilled,
        Status::OutForDelivery,
        Status::Delivered,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Placed => "placed",
            Status::Fulfilled => "fulfilled",
            Status::OutForDelivery => "out_for_delivery",
            Status::Delivered => "delivered",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// The status that follows this one on the way to the customer, if any.
    pub fn next(self) -> Option<Status> {
        match self {
            Status::Placed => Some(Status::Fulfilled),
            Status::Fulfilled => Some(Status::OutForDelivery),
            Status::OutForDelivery => Some(Status::Delivered),
            Status::Delivered | Status::Cancelled => None,
        }
    }

    /// Whether an order that is `self` may become `to` by a plain transition: the one rule of
    /// which moves are legal. Every store consults it (itself or through `transition_to`)
    /// before writing, so an illegal move is refused the same way everywhere, as a conflict
    /// that writes nothing, and not by whatever each store's write condition happens to allow.
    /// Cancelling is not a plain transition: it gives the day's capacity back in the same
    /// write, so stores do it in `cancel` (see `can_be_cancelled`).
    pub fn can_become(self, to: Status) -> bool {
        self.next() == Some(to)
    }

    /// Whether an order in this status may still be cancelled: only before baking is done.
    pub fn can_be_cancelled(self) -> bool {
        self == Status::Placed
    }

    /// Checks that `self → to` is a legal move.
    pub fn transition_to(self, to: Status) -> Result<Status, TransitionError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(TransitionError { from: self, to })
        }
    }

    /// The history step written when an order enters this status.
    pub fn entry_step(self) -> Step {
        match self {
            Status::Placed => Step::Placed,
            Status::Fulfilled => Step::Fulfilled,
            Status::OutForDelivery => Step::DeliveryRequested,
            Status::Delivered => Step::Delivered,
            Status::Cancelled => Step::Cancelled,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order that is {from} cannot become {to}")]
pub struct TransitionError {
    pub from: Status,
    pub to: Status,
}

/// A step in an order's journey, each recorded once with the time it happened.
/// Declared in the order they happen, which is the order history is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Placed,
    /// The customer was emailed their confirmation and tracking link.
    CustomerConfirmed,
    BakerNotified,
    Fulfilled,
    /// The customer was emailed that their cake is on its way.
    CustomerToldOnItsWay,
    DeliveryRequested,
    CourierNotified,
    Delivered,
    FeedbackForwarded,
    Cancelled,
    /// The baker was emailed that the customer cancelled.
    CancellationNotified,
    /// The customer was emailed that their order is cancelled.
    CustomerToldCancelled,
    /// The email provider refused an email to the customer for good (a rejected address, an
    /// unverified sender): no other email of the order is tried again.
    CustomerEmailRefused,
    /// The email provider refused the baker's email about the order for good: the order is on
    /// the board all the same.
    BakerEmailRefused,
}

impl Step {
    pub const ALL: [Step; 14] = [
        Step::Placed,
        Step::CustomerConfirmed,
        Step::BakerNotified,
        Step::Fulfilled,
        Step::CustomerToldOnItsWay,
        Step::DeliveryRequested,
        Step::CourierNotified,
        Step::Delivered,
        Step::FeedbackForwarded,
        Step::Cancelled,
        Step::CancellationNotified,
        Step::CustomerToldCancelled,
        Step::CustomerEmailRefused,
        Step::BakerEmailRefused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Placed => "placed",
            Step::CustomerConfirmed => "customer_confirmed",
            Step::BakerNotified => "baker_notified",
            Step::Fulfilled => "fulfilled",
            Step::CustomerToldOnItsWay => "customer_told_on_its_way",
            Step::DeliveryRequested => "delivery_requested",
            Step::CourierNotified => "courier_notified",
            Step::Delivered => "delivered",
            Step::FeedbackForwarded => "feedback_forwarded",
            Step::Cancelled => "cancelled",
            Step::CancellationNotified => "cancellation_notified",
            Step::CustomerToldCancelled => "customer_told_cancelled",
            Step::CustomerEmailRefused => "customer_email_refused",
            Step::BakerEmailRefused => "baker_email_refused",
        }
    }

    pub fn parse(text: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.as_str() == text)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_forward_path_is_legal() {
        for from in Status::ALL {
            for to in Status::ALL {
                let legal = matches!(
                    (from, to),
                    (Status::Placed, Status::Fulfilled)
                        | (Status::Fulfilled, Status::OutForDelivery)
                        | (Status::OutForDelivery, Status::Delivered)
                );
                assert_eq!(from.can_become(to), legal, "{from} -> {to}");
                assert_eq!(from.transition_to(to).is_ok(), legal, "{from} -> {to}");
            }
            assert_eq!(from.can_be_cancelled(), from == Status::Placed);
        }
    }

    #[test]
    fn names_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        for step in Step::ALL {
            assert_eq!(Step::parse(step.as_str()), Some(step));
        }
        assert_eq!(Status::parse("canceled"), None);
    }

    #[test]
    fn refusal_explains_itself() {
        let error = Status::Placed.transition_to(Status::Delivered).unwrap_err();
        assert_eq!(error.to_string(), "an order that is placed cannot become delivered");
    }
}
