//! CloudWatch's stand-in for the shop's own metrics: every observation the functions record,
//! summed per metric and dimension as a dashboard would show them (count, sum, and the p50, p99
//! and maximum of the latest values), kept in memory for the console.

use cakeshop_domain::OrderId;
use cakeshop_ports::metrics::{Metric, Metrics, Unit};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

/// How many of a series' latest values its percentiles are taken over.
pub const VALUES_KEPT: usize = 1_000;

/// One metric with one value of its extra dimension (`PartnerFailures` of `delivery`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SeriesKey {
    pub name: &'static str,
    pub dimension: Option<(&'static str, &'static str)>,
}

/// What a series has seen.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub unit: Unit,
    pub count: u64,
    pub sum: u64,
    pub latest: VecDeque<u64>,
    /// The order of the latest observation.
    pub last_order: String,
}

impl Series {
    /// The `p`th percentile (0–100) of the latest values, nearest rank.
    pub fn percentile(&self, p: u32) -> Option<u64> {
        let mut values: Vec<u64> = self.latest.iter().copied().collect();
        values.sort_unstable();
        let rank = (values.len() * p as usize).div_ceil(100).max(1);
        values.get(rank - 1).copied()
    }
}

/// The metrics recorded so far, shared by every function of the process and the console.
#[derive(Debug, Clone, Default)]
pub struct LocalMetrics {
    series: Arc<Mutex<BTreeMap<SeriesKey, Series>>>,
}

impl LocalMetrics {
    /// Every series seen so far, by name and dimension.
    pub fn series(&self) -> Vec<(SeriesKey, Series)> {
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        series
            .iter()
            .map(|(key, series)| (key.clone(), series.clone()))
            .collect()
    }
}

impl Metrics for LocalMetrics {
    fn record(&self, metric: Metric, order_id: &OrderId) {
        let key = SeriesKey {
            name: metric.name(),
            dimension: metric.dimension(),
        };
        let mut all = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let series = all.entry(key).or_insert_with(|| Series {
            unit: metric.unit(),
            count: 0,
            sum: 0,
            latest: VecDeque::new(),
            last_order: String::new(),
        });
        series.count += 1;
        series.sum = series.sum.saturating_add(metric.value());
        if series.latest.len() == VALUES_KEPT {
            series.latest.pop_front();
        }
        series.latest.push_back(metric.value());
        order_id.as_str().clone_into(&mut series.last_order);
    }
}
