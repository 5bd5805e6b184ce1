//! The order status machine and the history steps recorded along the way.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an order is. The only legal path is
/// `placed → fulfilled → out_for_delivery → delivered`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Placed,
    Fulfilled,
    OutForDelivery,
    Delivered,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Placed,
        Status::Fulfilled,
        Status::OutForDelivery,
        Status::Delivered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Placed => "placed",
            Status::Fulfilled => "fulfilled",
            Status::OutForDelivery => "out_for_delivery",
            Status::Delivered => "delivered",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// The one status that may follow this one, if any.
    pub fn next(self) -> Option<Status> {
        match self {
            Status::Placed => Some(Status::Fulfilled),
            Status::Fulfilled => Some(Status::OutForDelivery),
            Status::OutForDelivery => Some(Status::Delivered),
            Status::Delivered => None,
        }
    }

    /// Whether an order that is `self` may become `to`: the one rule of which moves are legal.
    /// Every store consults it (itself or through `transition_to`) before writing, so an
    /// illegal move is refused the same way everywhere, as a conflict that writes nothing, and
    /// not by whatever each store's write condition happens to allow.
    pub fn can_become(self, to: Status) -> bool {
        self.next() == Some(to)
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
    BakerNotified,
    Fulfilled,
    DeliveryRequested,
    CourierNotified,
    Delivered,
    FeedbackForwarded,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::Placed,
        Step::BakerNotified,
        Step::Fulfilled,
        Step::DeliveryRequested,
        Step::CourierNotified,
        Step::Delivered,
        Step::FeedbackForwarded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Placed => "placed",
            Step::BakerNotified => "baker_notified",
            Step::Fulfilled => "fulfilled",
            Step::DeliveryRequested => "delivery_requested",
            Step::CourierNotified => "courier_notified",
            Step::Delivered => "delivered",
            Step::FeedbackForwarded => "feedback_forwarded",
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
        assert_eq!(Status::parse("cancelled"), None);
    }

    #[test]
    fn refusal_explains_itself() {
        let error = Status::Placed.transition_to(Status::Delivered).unwrap_err();
        assert_eq!(error.to_string(), "an order that is placed cannot become delivered");
    }
}
