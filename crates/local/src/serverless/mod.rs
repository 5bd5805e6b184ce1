//! `serverless.yml`, read: what `cakeshop dev` wires. The functions, their HTTP routes and
//! event source mappings, the queues (visibility timeouts, redrive) they use, and the names
//! resources get on AWS for a stage.
//!
//! - `read`: the file into a `Wiring`, refusing anything cakeshop dev cannot honour.
//! - `names`: the table, stream and queue names for a stage (`--backend aws`).
//! - `declared_routes`: the routes it gives each function, held to what the function declares.

mod declared_routes;
mod names;
mod read;

pub use crate::kinesis::StreamMapping;
pub use crate::sqs::{QueueMapping, QueueSpec, RedriveSpec};
pub use declared_routes::route_disagreements;
pub use names::{AwsNames, resolve_names};
pub use read::{WiringError, read_serverless_yml};

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Wiring {
    /// The `service:` name, used in resource names.
    pub service: String,
    pub functions: Vec<Function>,
    /// The CloudFormation resources as written, for `--backend aws` to name and provision.
    pub resources: serde_json::Map<String, serde_json::Value>,
    /// Queues by CloudFormation logical id.
    pub queues: BTreeMap<String, QueueSpec>,
    pub stream: StreamSpec,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub name: String,
    /// How long one invocation may run before it counts as failed.
    pub timeout_seconds: u64,
    pub routes: Vec<Route>,
    pub trigger: Option<Trigger>,
    /// The function's environment as written (values may be CloudFormation references).
    pub environment: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: http::Method,
    /// The path template, e.g. `/order/{orderId}`.
    pub path: String,
}

impl Route {
    pub fn route_key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    Stream(StreamMapping),
    Queue(QueueMapping),
    Schedule(Schedule),
}

/// A `schedule: rate(...)` event: the function runs this often.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub every: std::time::Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSpec {
    pub logical_id: String,
    pub retention_hours: u64,
}

impl Function {
    /// The queue an environment variable points at (`VAR: {Ref: SomeQueue}`).
    pub fn queue_in_environment<'w>(&self, variable: &str, wiring: &'w Wiring) -> Result<&'w QueueSpec, WiringError> {
        let location = format!("function {}: environment.{variable}", self.name);
        let logical_id = self
            .environment
            .get(variable)
            .and_then(|value| value.get("Ref"))
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| WiringError::Unusable {
                location: location.clone(),
                problem: "must be `Ref: <queue>`".into(),
            })?;
        wiring.queue(logical_id).ok_or_else(|| WiringError::Unusable {
            location,
            problem: format!("{logical_id} is not an AWS::SQS::Queue in resources"),
        })
    }
}

impl Wiring {
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// The queue that `function`'s environment variable `variable` names (`Ref: <queue>`).
    pub fn queue_of(&self, function: &str, variable: &str) -> Result<&QueueSpec, WiringError> {
        let found = self.function(function).ok_or_else(|| WiringError::Unusable {
            location: format!("function {function}"),
            problem: "missing from functions".into(),
        })?;
        found.queue_in_environment(variable, self)
    }

    /// The queue a function's SQS mapping reads, with its settings.
    pub fn queue(&self, logical_id: &str) -> Option<&QueueSpec> {
        self.queues.get(logical_id)
    }
}
