//! The metrics contract: what a dashboard reads back of the observations recorded.

use crate::clock::{IdGenerator, TimeOrderedIds};
use crate::metrics::{Metric, Metrics};
use std::future::Future;

/// One series as a dashboard reads it: a metric, with its extra dimension if any.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReadBack {
    pub name: String,
    pub unit: String,
    /// The dimension beyond the stage: its name and value.
    pub dimension: Option<(String, String)>,
    pub count: u64,
    pub sum: u64,
}

/// Reads back every series recorded so far.
pub trait MetricsProbe: Send + Sync {
    fn series(&self) -> impl Future<Output = Vec<ReadBack>> + Send;
}

fn read_back(name: &str, unit: &str, dimension: Option<(&str, &str)>, count: u64, sum: u64) -> ReadBack {
    ReadBack {
        name: name.into(),
        unit: unit.into(),
        dimension: dimension.map(|(n, v)| (n.into(), v.into())),
        count,
        sum,
    }
}

/// Every kind of observation, recorded on a fresh `metrics`, reads back as a dashboard needs it:
/// counts summed, timings in milliseconds, partner failures apart per partner.
pub async fn metrics<M: Metrics, P: MetricsProbe>(metrics: &M, probe: &P) {
    let order = TimeOrderedIds.order_id();
    for metric in [
        Metric::OrderPlaced,
        Metric::OrderPlaced,
        Metric::OrderCancelled,
        Metric::BakerNotified { after_ms: 1_500 },
        Metric::BakerNotified { after_ms: 500 },
        Metric::OrderReady { after_ms: 3_600_000 },
        Metric::PartnerFailed { partner: "delivery" },
        Metric::PartnerFailed {
            partner: "customer-service",
        },
        Metric::PartnerFailed { partner: "delivery" },
    ] {
        metrics.record(metric, &order);
    }
    let mut found = probe.series().await;
    found.sort();
    let mut expected = vec![
        read_back("OrdersPlaced", "Count", None, 2, 2),
        read_back("OrdersCancelled", "Count", None, 1, 1),
        read_back("TimeToBakerNotified", "Milliseconds", None, 2, 2_000),
        read_back("TimeToReady", "Milliseconds", None, 1, 3_600_000),
        read_back("PartnerFailures", "Count", Some(("Partner", "delivery")), 2, 2),
        read_back("PartnerFailures", "Count", Some(("Partner", "customer-service")), 1, 1),
    ];
    expected.sort();
    assert_eq!(found, expected, "the metrics read back as recorded");
    let named: std::collections::BTreeSet<&str> = found.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        named.len(),
        Metric::NAMES.len(),
        "every metric of Metric::NAMES is recordable"
    );
}
