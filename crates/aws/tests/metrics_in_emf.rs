//! The metrics port on AWS: each observation is one embedded-metric-format line, read back here
//! the way CloudWatch Logs reads it (the `_aws` directive names the namespace, the dimensions and
//! the metric, each found at the document's root), and it keeps the shared metrics contract.

use cakeshop_aws::EmfMetrics;
use cakeshop_ports::contract::{self, MetricsProbe, ReadBack};
use cakeshop_ports::metrics::{NAMESPACE, STAGE_DIMENSION};
use serde_json::Value;
use std::collections::BTreeMap;

const STAGE: &str = "contract";

/// A series as CloudWatch keys it: name, unit, and the dimension beyond the stage.
type SeriesKey = (String, String, Option<(String, String)>);

/// What CloudWatch extracts from one line, or why it would not.
fn extract(line: &str) -> Result<(SeriesKey, u64), String> {
    let document: Value = serde_json::from_str(line).map_err(|error| format!("not JSON ({error}): {line}"))?;
    let metadata = &document["_aws"];
    metadata["Timestamp"].as_i64().ok_or(format!("no Timestamp: {line}"))?;
    let [directive] = metadata["CloudWatchMetrics"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    else {
        return Err(format!("not one metric directive: {line}"));
    };
    if directive["Namespace"] != NAMESPACE {
        return Err(format!("namespace {}: {line}", directive["Namespace"]));
    }
    let [dimensions] = directive["Dimensions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    else {
        return Err(format!("not one dimension set: {line}"));
    };
    let mut extra = None;
    for name in dimensions.as_array().ok_or(format!("dimensions not a list: {line}"))? {
        let name = name
            .as_str()
            .ok_or(format!("a dimension name that is not text: {line}"))?;
        let value = document[name]
            .as_str()
            .ok_or(format!("dimension {name} not at the root: {line}"))?;
        match name {
            STAGE_DIMENSION if value == STAGE => {}
            STAGE_DIMENSION => return Err(format!("stage {value}: {line}")),
            _ => extra = Some((name.to_owned(), value.to_owned())),
        }
    }
    let [metric] = directive["Metrics"].as_array().map(Vec::as_slice).unwrap_or_default() else {
        return Err(format!("not one metric: {line}"));
    };
    let name = metric["Name"]
        .as_str()
        .ok_or(format!("a metric without a name: {line}"))?;
    let unit = metric["Unit"]
        .as_str()
        .ok_or(format!("a metric without a unit: {line}"))?;
    let value = document[name]
        .as_u64()
        .ok_or(format!("{name} has no value at the root: {line}"))?;
    Ok(((name.to_owned(), unit.to_owned(), extra), value))
}

struct Lines(EmfMetrics<Vec<u8>>);

impl MetricsProbe for Lines {
    async fn series(&self) -> Vec<ReadBack> {
        let output = self.0.output();
        let written = String::from_utf8(output.lock().expect("the output").clone()).expect("UTF-8");
        let mut series: BTreeMap<SeriesKey, (u64, u64)> = BTreeMap::new();
        for line in written.lines() {
            let (key, value) = extract(line).unwrap_or_else(|problem| panic!("{problem}"));
            let (count, sum) = series.entry(key).or_default();
            *count += 1;
            *sum += value;
        }
        series
            .into_iter()
            .map(|((name, unit, dimension), (count, sum))| ReadBack {
                name,
                unit,
                dimension,
                count,
                sum,
            })
            .collect()
    }
}

#[tokio::test]
async fn emf_lines_keep_the_metrics_contract() {
    let metrics = EmfMetrics::new(STAGE, Vec::new());
    contract::metrics(&metrics, &Lines(metrics.clone())).await;
}

#[test]
fn each_observation_is_one_line_naming_its_order() {
    use cakeshop_ports::{IdGenerator, Metric, Metrics, TimeOrderedIds};
    let metrics = EmfMetrics::new(STAGE, Vec::new());
    let order = TimeOrderedIds.order_id();
    metrics.record(Metric::PartnerFailed { partner: "delivery" }, &order);
    let output = metrics.output();
    let written = String::from_utf8(output.lock().expect("the output").clone()).expect("UTF-8");
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines.len(), 1, "{written}");
    assert!(written.ends_with('\n'), "a whole line");
    let document: Value = serde_json::from_str(lines[0]).expect("JSON");
    assert_eq!(document["orderId"], order.as_str());
    assert_eq!(
        document["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        serde_json::json!([["Stage", "Partner"]])
    );
    let key = (
        "PartnerFailures".into(),
        "Count".into(),
        Some(("Partner".into(), "delivery".into())),
    );
    assert_eq!(extract(lines[0]), Ok((key, 1)));
}
