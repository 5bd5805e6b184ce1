//! Metrics on AWS: one line of CloudWatch's embedded metric format (EMF) on the function's
//! standard output per observation. CloudWatch Logs turns each such line in the function's log
//! into a metric data point, so no `PutMetricData` call (and no permission for one) is needed.
//! The line also carries the order id, so Logs Insights finds the observation beside the
//! order's other lines.

use cakeshop_domain::OrderId;
use cakeshop_ports::metrics::{Metric, Metrics, NAMESPACE, STAGE_DIMENSION};
use serde_json::{Map, Value, json};
use std::io::{Stdout, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// Writes each metric as an EMF line to `out` (the function's standard output on Lambda).
#[derive(Debug)]
pub struct EmfMetrics<W> {
    stage: String,
    out: Arc<Mutex<W>>,
}

impl<W> Clone for EmfMetrics<W> {
    fn clone(&self) -> Self {
        EmfMetrics {
            stage: self.stage.clone(),
            out: Arc::clone(&self.out),
        }
    }
}

impl EmfMetrics<Stdout> {
    /// Metrics of the deploy stage `stage`, to standard output, which Lambda sends to the log.
    pub fn to_stdout(stage: impl Into<String>) -> EmfMetrics<Stdout> {
        EmfMetrics::new(stage, std::io::stdout())
    }
}

impl<W: Write + Send> EmfMetrics<W> {
    pub fn new(stage: impl Into<String>, out: W) -> EmfMetrics<W> {
        EmfMetrics {
            stage: stage.into(),
            out: Arc::new(Mutex::new(out)),
        }
    }

    /// The output itself, e.g. to read back what was written.
    pub fn output(&self) -> Arc<Mutex<W>> {
        Arc::clone(&self.out)
    }
}

/// The EMF document for one observation, at `timestamp_ms`.
pub fn emf_document(metric: &Metric, stage: &str, order_id: &OrderId, timestamp_ms: i64) -> Value {
    let mut dimensions = vec![STAGE_DIMENSION];
    let mut root = Map::new();
    root.insert(STAGE_DIMENSION.into(), Value::from(stage));
    if let Some((name, value)) = metric.dimension() {
        dimensions.push(name);
        root.insert(name.into(), Value::from(value));
    }
    root.insert(metric.name().into(), Value::from(metric.value()));
    root.insert("orderId".into(), Value::from(order_id.as_str()));
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions],
                "Metrics": [{ "Name": metric.name(), "Unit": metric.unit().as_str() }],
            }],
        }),
    );
    Value::Object(root)
}

impl<W: Write + Send> Metrics for EmfMetrics<W> {
    fn record(&self, metric: Metric, order_id: &OrderId) {
        let now_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        let document = emf_document(
            &metric,
            &self.stage,
            order_id,
            i64::try_from(now_ms).unwrap_or(i64::MAX),
        );
        // One write of the whole line, so that it never interleaves with a log line.
        let mut line = document.to_string();
        line.push('\n');
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(error) = out.write_all(line.as_bytes()).and_then(|()| out.flush()) {
            tracing::warn!(metric = metric.name(), %error, "the metric could not be written");
        }
    }
}
