//! The shop's own metrics: orders placed and cancelled, how long a new order waits for the
//! baker's email and for the cake to be ready, and partner calls that failed. On AWS they are
//! CloudWatch metrics (written in the embedded metric format to the function's log, so no
//! `PutMetricData` call and no permission for one); on one machine the console shows them.
//!
//! Recording never fails the work it measures: a metric that cannot be written is logged.

use cakeshop_domain::OrderId;

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "Cakeshop";
/// The dimension every metric carries: the deploy stage (`STAGE`).
pub const STAGE_DIMENSION: &str = "Stage";
/// The further dimension of `PartnerFailures`: which partner.
pub const PARTNER_DIMENSION: &str = "Partner";

/// One observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A new order was stored (not a repeat of an idempotent request).
    OrderPlaced,
    /// An order was cancelled, by its customer or by the baker declining it.
    OrderCancelled,
    /// The baker's email about a new order was sent, this long after it was placed.
    BakerNotified { after_ms: u64 },
    /// The baker marked the cake ready, this long after it was placed.
    OrderReady { after_ms: u64 },
    /// A partner's API failed a call after the client's own retries.
    PartnerFailed { partner: &'static str },
}

/// A metric's unit, as CloudWatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

impl Metric {
    /// Every metric's name, as dashboards and alarms refer to it.
    pub const NAMES: [&'static str; 5] = [
        "OrdersPlaced",
        "OrdersCancelled",
        "TimeToBakerNotified",
        "TimeToReady",
        "PartnerFailures",
    ];

    pub fn name(&self) -> &'static str {
        let [placed, cancelled, notified, ready, partner] = Metric::NAMES;
        match self {
            Metric::OrderPlaced => placed,
            Metric::OrderCancelled => cancelled,
            Metric::BakerNotified { .. } => notified,
            Metric::OrderReady { .. } => ready,
            Metric::PartnerFailed { .. } => partner,
        }
    }

    pub fn unit(&self) -> Unit {
        match self {
            Metric::BakerNotified { .. } | Metric::OrderReady { .. } => Unit::Milliseconds,
            _ => Unit::Count,
        }
    }

    /// The value: 1 for a count, the time for a timing.
    pub fn value(&self) -> u64 {
        match self {
            Metric::BakerNotified { after_ms } | Metric::OrderReady { after_ms } => *after_ms,
            _ => 1,
        }
    }

    /// The dimension beyond the stage, if any: its name and value.
    pub fn dimension(&self) -> Option<(&'static str, &'static str)> {
        match self {
            Metric::PartnerFailed { partner } => Some((PARTNER_DIMENSION, partner)),
            _ => None,
        }
    }
}

/// Where a handler records what it observed, about the order it observed it on.
pub trait Metrics: Send + Sync {
    fn record(&self, metric: Metric, order_id: &OrderId);
}

impl<M: Metrics + ?Sized> Metrics for std::sync::Arc<M> {
    fn record(&self, metric: Metric, order_id: &OrderId) {
        (**self).record(metric, order_id)
    }
}
