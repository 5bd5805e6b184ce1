//! Reading `serverless.yml` into a `Wiring`. Anything cakeshop dev cannot honour is refused with
//! a message naming the function (or resource) and the field.

use super::{
    Function, QueueMapping, QueueSpec, RedriveSpec, Route, Schedule, StreamMapping, StreamSpec, Trigger, Wiring,
};
use crate::kinesis::FilterPattern;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid YAML")]
    Yaml {
        path: String,
        #[source]
        source: serde_norway::Error,
    },
    #[error("serverless.yml: {location}: {problem}")]
    Unusable { location: String, problem: String },
}

fn unusable(location: impl Into<String>, problem: impl Into<String>) -> WiringError {
    WiringError::Unusable {
        location: location.into(),
        problem: problem.into(),
    }
}

pub fn read_serverless_yml(path: &Path) -> Result<Wiring, WiringError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| WiringError::Read {
        path: shown.clone(),
        source,
    })?;
    parse(&text).map_err(|error| match error {
        WiringError::Yaml { source, .. } => WiringError::Yaml { path: shown, source },
        other => other,
    })
}

pub fn parse(text: &str) -> Result<Wiring, WiringError> {
    let yaml: serde_norway::Value = serde_norway::from_str(text).map_err(|source| WiringError::Yaml {
        path: "serverless.yml".into(),
        source,
    })?;
    let document = to_json(yaml);
    let resources = document
        .pointer("/resources/Resources")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let queues = read_queues(&resources)?;
    let stream = read_stream(&resources)?;
    let functions = document
        .get("functions")
        .and_then(Value::as_object)
        .ok_or_else(|| unusable("functions", "missing: there is nothing to run"))?;
    let default_timeout = optional_number(
        document.get("provider").unwrap_or(&Value::Null),
        "timeout",
        "provider",
        1,
        900,
    )?;
    let service = document
        .get("service")
        .and_then(Value::as_str)
        .unwrap_or("cakeshop")
        .to_owned();
    let mut wiring = Wiring {
        service,
        functions: Vec::new(),
        resources: resources.clone(),
        queues,
        stream,
    };
    for (name, definition) in functions {
        wiring
            .functions
            .push(read_function(name, definition, default_timeout.unwrap_or(6), &wiring)?);
    }
    Ok(wiring)
}

/// YAML to JSON, turning short-form CloudFormation tags (`!GetAtt X.Arn`, `!Ref X`) into the
/// long form (`{"Fn::GetAtt": ["X", "Arn"]}`, `{"Ref": "X"}`).
fn to_json(yaml: serde_norway::Value) -> Value {
    use serde_norway::Value as Yaml;
    match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => serde_json::to_value(&n).unwrap_or(Value::Null),
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Yaml::Mapping(mapping) => Value::Object(
            mapping
                .into_iter()
                .map(|(key, value)| {
                    let key = match key {
                        Yaml::String(s) => s,
                        other => match serde_norway::to_string(&other) {
                            Ok(text) => text.trim().to_owned(),
                            Err(_) => format!("{other:?}"),
                        },
                    };
                    (key, to_json(value))
                })
                .collect(),
        ),
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let value = to_json(tagged.value);
            match (name, value) {
                ("Ref", value) => Value::Object(Map::from_iter([("Ref".to_owned(), value)])),
                ("GetAtt", Value::String(dotted)) => {
                    let parts: Vec<Value> = dotted.splitn(2, '.').map(|p| Value::String(p.to_owned())).collect();
                    Value::Object(Map::from_iter([("Fn::GetAtt".to_owned(), Value::Array(parts))]))
                }
                (name, value) => Value::Object(Map::from_iter([(format!("Fn::{name}"), value)])),
            }
        }
    }
}

fn read_queues(resources: &Map<String, Value>) -> Result<BTreeMap<String, QueueSpec>, WiringError> {
    let mut queues = BTreeMap::new();
    for (logical_id, resource) in resources {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::SQS::Queue") {
            continue;
        }
        let location = format!("resource {logical_id}");
        let properties = resource.get("Properties").cloned().unwrap_or(Value::Null);
        let visibility_timeout_seconds =
            optional_number(&properties, "VisibilityTimeout", &location, 0, 43_200)?.unwrap_or(30);
        let redrive = match properties.get("RedrivePolicy") {
            None => None,
            Some(policy) => {
                let target = policy
                    .get("deadLetterTargetArn")
                    .ok_or_else(|| unusable(&location, "RedrivePolicy needs deadLetterTargetArn"))?;
                let dead_letter_queue =
                    logical_id_of(target, &format!("{location}: RedrivePolicy.deadLetterTargetArn"))?;
                let max_receive_count = optional_number(policy, "maxReceiveCount", &location, 1, 1000)?
                    .ok_or_else(|| unusable(&location, "RedrivePolicy needs maxReceiveCount"))?;
                Some(RedriveSpec {
                    dead_letter_queue,
                    max_receive_count: max_receive_count as u32,
                })
            }
        };
        queues.insert(
            logical_id.clone(),
            QueueSpec {
                logical_id: logical_id.clone(),
                visibility_timeout_seconds,
                redrive,
            },
        );
    }
    for queue in queues.values() {
        if let Some(redrive) = &queue.redrive
            && !queues.contains_key(&redrive.dead_letter_queue)
        {
            return Err(unusable(
                format!("resource {}", queue.logical_id),
                format!(
                    "dead-letter queue {} is not an AWS::SQS::Queue in this file",
                    redrive.dead_letter_queue
                ),
            ));
        }
    }
    Ok(queues)
}

fn read_stream(resources: &Map<String, Value>) -> Result<StreamSpec, WiringError> {
    let mut streams = resources
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::Kinesis::Stream"));
    let (logical_id, resource) = streams
        .next()
        .ok_or_else(|| unusable("resources", "no AWS::Kinesis::Stream: the order stream is missing"))?;
    let properties = resource.get("Properties").cloned().unwrap_or(Value::Null);
    let location = format!("resource {logical_id}");
    let retention_hours = optional_number(&properties, "RetentionPeriodHours", &location, 24, 8760)?.unwrap_or(24);
    Ok(StreamSpec {
        logical_id: logical_id.clone(),
        retention_hours,
    })
}

fn read_function(
    name: &str,
    definition: &Value,
    default_timeout: u64,
    wiring: &Wiring,
) -> Result<Function, WiringError> {
    let location = format!("function {name}");
    let timeout_seconds = optional_number(definition, "timeout", &location, 1, 900)?.unwrap_or(default_timeout);
    let environment = definition
        .get("environment")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut function = Function {
        name: name.to_owned(),
        timeout_seconds,
        routes: Vec::new(),
        trigger: None,
        environment: environment.into_iter().collect(),
    };
    let events = definition
        .get("events")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (index, event) in events.iter().enumerate() {
        let at = format!("{location}: events[{index}]");
        let (kind, settings) = event
            .as_object()
            .and_then(|object| object.iter().next())
            .ok_or_else(|| unusable(&at, "must be a mapping such as `httpApi: ...`"))?;
        let at = format!("{at}.{kind}");
        let trigger = match kind.as_str() {
            "httpApi" => {
                function.routes.push(read_route(settings, &at)?);
                None
            }
            "stream" => Some(Trigger::Stream(read_stream_mapping(settings, &at, wiring)?)),
            "sqs" => Some(Trigger::Queue(read_queue_mapping(settings, &at, wiring)?)),
            "schedule" => Some(Trigger::Schedule(read_schedule(settings, &at)?)),
            other => {
                return Err(unusable(&at, format!("cakeshop dev does not run `{other}` events")));
            }
        };
        if let Some(trigger) = trigger {
            if function.trigger.is_some() {
                return Err(unusable(
                    &at,
                    "cakeshop dev runs one stream, queue or schedule trigger per function",
                ));
            }
            function.trigger = Some(trigger);
        }
    }
    Ok(function)
}

/// `schedule: rate(5 minutes)`, or `schedule: {rate: rate(5 minutes) | [rate(...)], enabled}`.
fn read_schedule(settings: &Value, at: &str) -> Result<Schedule, WiringError> {
    let rate = match settings {
        Value::String(rate) => Some(rate.as_str()),
        Value::Object(object) => match object.get("rate") {
            Some(Value::String(rate)) => Some(rate.as_str()),
            Some(Value::Array(rates)) if rates.len() == 1 => rates[0].as_str(),
            _ => None,
        },
        _ => None,
    }
    .ok_or_else(|| unusable(at, "must be `rate(<n> <unit>)` or `{rate: rate(<n> <unit>)}`"))?;
    parse_rate(rate).ok_or_else(|| {
        unusable(
            at,
            format!("{rate:?}: cakeshop dev runs `rate(<n> minute(s)|hour(s)|day(s))` schedules"),
        )
    })
}

fn parse_rate(text: &str) -> Option<Schedule> {
    let inner = text.trim().strip_prefix("rate(")?.strip_suffix(')')?;
    let (amount, unit) = inner.trim().split_once(' ')?;
    let amount: u64 = amount.parse().ok().filter(|n| *n > 0)?;
    let unit_seconds = match unit.trim() {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3_600,
        "day" | "days" => 86_400,
        _ => return None,
    };
    Some(Schedule {
        every: std::time::Duration::from_secs(amount.checked_mul(unit_seconds)?),
    })
}

fn read_route(settings: &Value, at: &str) -> Result<Route, WiringError> {
    let (method, path) = match settings {
        Value::String(route) => {
            let (method, path) = route
                .split_once(' ')
                .ok_or_else(|| unusable(at, "must be `METHOD /path`"))?;
            (method.to_owned(), path.trim().to_owned())
        }
        Value::Object(route) => (
            route
                .get("method")
                .and_then(Value::as_str)
                .ok_or_else(|| unusable(at, "method is required"))?
                .to_owned(),
            route
                .get("path")
                .and_then(Value::as_str)
                .ok_or_else(|| unusable(at, "path is required"))?
                .to_owned(),
        ),
        _ => return Err(unusable(at, "must be `METHOD /path` or {method, path}")),
    };
    let method = http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| unusable(format!("{at}.method"), format!("{method:?} is not an HTTP method")))?;
    if !path.starts_with('/') {
        return Err(unusable(format!("{at}.path"), format!("{path:?} must start with /")));
    }
    Ok(Route { method, path })
}

fn read_stream_mapping(settings: &Value, at: &str, wiring: &Wiring) -> Result<StreamMapping, WiringError> {
    if settings.get("type").and_then(Value::as_str) != Some("kinesis") {
        return Err(unusable(format!("{at}.type"), "only `kinesis` streams are supported"));
    }
    let stream = logical_id_of(settings.get("arn").unwrap_or(&Value::Null), &format!("{at}.arn"))?;
    if stream != wiring.stream.logical_id {
        return Err(unusable(
            format!("{at}.arn"),
            format!("{stream} is not the stream defined in resources"),
        ));
    }
    let batching_window = match settings.get("batchWindow") {
        Some(_) => optional_number(settings, "batchWindow", at, 0, 300)?,
        None => optional_number(settings, "maximumBatchingWindow", at, 0, 300)?,
    };
    let filters = settings
        .get("filterPatterns")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(n, pattern)| {
            FilterPattern::new(pattern).map_err(|e| unusable(format!("{at}.filterPatterns[{n}]"), e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let retries = optional_signed(settings, "maximumRetryAttempts", at, -1, 10_000)?.unwrap_or(-1);
    let record_age = optional_signed(settings, "maximumRecordAgeInSeconds", at, -1, 604_800)?.unwrap_or(-1);
    let on_failure_queue = match settings.pointer("/destinations/onFailure") {
        None => None,
        Some(Value::Object(destination)) => {
            if destination
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t != "sqs")
            {
                return Err(unusable(
                    format!("{at}.destinations.onFailure.type"),
                    "cakeshop dev supports sqs destinations",
                ));
            }
            let arn = destination.get("arn").unwrap_or(&Value::Null);
            Some(queue_reference(
                arn,
                &format!("{at}.destinations.onFailure.arn"),
                wiring,
            )?)
        }
        Some(other) => Some(queue_reference(other, &format!("{at}.destinations.onFailure"), wiring)?),
    };
    Ok(StreamMapping {
        batch_size: optional_number(settings, "batchSize", at, 1, 10_000)?.unwrap_or(100) as usize,
        batching_window_ms: batching_window.unwrap_or(0) * 1000,
        filters,
        report_batch_item_failures: response_type(settings, at)?,
        bisect_on_error: optional_bool(settings, "bisectBatchOnFunctionError", at)?.unwrap_or(false),
        maximum_retry_attempts: u32::try_from(retries).ok(),
        maximum_record_age_seconds: u64::try_from(record_age).ok(),
        on_failure_queue,
    })
}

fn read_queue_mapping(settings: &Value, at: &str, wiring: &Wiring) -> Result<QueueMapping, WiringError> {
    let (arn, at_arn) = match settings {
        Value::Object(object) => (object.get("arn").unwrap_or(&Value::Null), format!("{at}.arn")),
        other => (other, at.to_owned()),
    };
    let queue = queue_reference(arn, &at_arn, wiring)?;
    let empty = Value::Object(Map::new());
    let settings = if settings.is_object() { settings } else { &empty };
    Ok(QueueMapping {
        queue,
        batch_size: optional_number(settings, "batchSize", at, 1, 10_000)?.unwrap_or(10) as usize,
        batching_window_ms: optional_number(settings, "maximumBatchingWindow", at, 0, 300)?.unwrap_or(0) * 1000,
        report_batch_item_failures: response_type(settings, at)?,
    })
}

fn response_type(settings: &Value, at: &str) -> Result<bool, WiringError> {
    match settings.get("functionResponseType") {
        None => Ok(false),
        Some(Value::String(kind)) if kind == "ReportBatchItemFailures" => Ok(true),
        Some(other) => Err(unusable(
            format!("{at}.functionResponseType"),
            format!("{other} is not ReportBatchItemFailures"),
        )),
    }
}

fn queue_reference(arn: &Value, at: &str, wiring: &Wiring) -> Result<String, WiringError> {
    let queue = logical_id_of(arn, at)?;
    if !wiring.queues.contains_key(&queue) {
        return Err(unusable(at, format!("{queue} is not an AWS::SQS::Queue in resources")));
    }
    Ok(queue)
}

/// The logical id in `{"Fn::GetAtt": [X, Arn]}` (or `"X.Arn"`); a literal ARN cannot be run locally.
fn logical_id_of(reference: &Value, at: &str) -> Result<String, WiringError> {
    let target = reference.get("Fn::GetAtt");
    let logical_id = match target {
        Some(Value::Array(parts)) => parts.first().and_then(Value::as_str).map(str::to_owned),
        Some(Value::String(dotted)) => dotted.split('.').next().map(str::to_owned),
        _ => None,
    };
    logical_id.ok_or_else(|| {
        unusable(
            at,
            format!("must be `Fn::GetAtt: [<resource>, Arn]` of a resource in this file (found {reference})"),
        )
    })
}

fn optional_number(settings: &Value, field: &str, at: &str, min: u64, max: u64) -> Result<Option<u64>, WiringError> {
    match settings.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_u64().is_some_and(|v| (min..=max).contains(&v)) => Ok(n.as_u64()),
        Some(other) => Err(unusable(
            format!("{at}.{field}"),
            format!("must be a whole number from {min} to {max} (found {other})"),
        )),
    }
}

fn optional_signed(settings: &Value, field: &str, at: &str, min: i64, max: i64) -> Result<Option<i64>, WiringError> {
    match settings.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some_and(|v| (min..=max).contains(&v)) => Ok(n.as_i64()),
        Some(other) => Err(unusable(
            format!("{at}.{field}"),
            format!("must be a whole number from {min} to {max} (found {other})"),
        )),
    }
}

fn optional_bool(settings: &Value, field: &str, at: &str) -> Result<Option<bool>, WiringError> {
    match settings.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(unusable(
            format!("{at}.{field}"),
            format!("must be true or false (found {other})"),
        )),
    }
}

#[cfg(test)]
mod tests;
