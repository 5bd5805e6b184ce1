//! CloudWatch's local stand-in keeps the metrics contract the EMF lines keep on AWS, and its
//! percentiles are what a dashboard would show.

use cakeshop_local::cloudwatch::LocalMetrics;
use cakeshop_ports::contract::{self, MetricsProbe, ReadBack};
use cakeshop_ports::{IdGenerator, Metric, Metrics, TimeOrderedIds};

struct Series(LocalMetrics);

impl MetricsProbe for Series {
    async fn series(&self) -> Vec<ReadBack> {
        self.0
            .series()
            .into_iter()
            .map(|(key, series)| ReadBack {
                name: key.name.into(),
                unit: series.unit.as_str().into(),
                dimension: key.dimension.map(|(name, value)| (name.into(), value.into())),
                count: series.count,
                sum: series.sum,
            })
            .collect()
    }
}

#[tokio::test]
async fn the_local_metrics_keep_the_metrics_contract() {
    let metrics = LocalMetrics::default();
    contract::metrics(&metrics, &Series(metrics.clone())).await;
}

#[test]
fn percentiles_are_of_the_latest_values() {
    let metrics = LocalMetrics::default();
    let order = TimeOrderedIds.order_id();
    for after_ms in 1..=100 {
        metrics.record(Metric::OrderReady { after_ms }, &order);
    }
    let [(_, ready)] = metrics.series().try_into().expect("one series");
    assert_eq!(
        (ready.percentile(50), ready.percentile(99), ready.percentile(100)),
        (Some(50), Some(99), Some(100))
    );
    assert_eq!(ready.last_order, order.as_str());
}
