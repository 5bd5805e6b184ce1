//! Invoking the declared functions (`cakeshop_handlers::functions`) built on one backend, by
//! the names `serverless.yml` gives them. Every invocation runs as its own task, so a handler
//! that panics fails that invocation only, as a crashed Lambda would.

use super::invocations::{Invocations, Started};
use crate::cloudwatch::LocalMetrics;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_lambda_events::event::streams::KinesisEventResponse;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use cakeshop_handlers::functions::{Answer, Event, InvocationError, Registry};
use futures::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tracing::Instrument;

/// The shop's functions on one backend.
pub struct Functions {
    registry: Registry,
    invocations: Invocations,
    metrics: LocalMetrics,
}

impl Functions {
    /// The functions of `registry`, whose metrics go to `metrics`.
    pub fn new(registry: Registry, metrics: LocalMetrics) -> Functions {
        Functions {
            registry,
            invocations: Invocations::default(),
            metrics,
        }
    }

    /// What the functions recorded, for the local console.
    pub fn metrics(&self) -> &LocalMetrics {
        &self.metrics
    }

    /// The recent invocations, for the local console.
    pub fn invocations(&self) -> &Invocations {
        &self.invocations
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("function {0} is not one cakeshop dev can run")]
    Unknown(String),
    #[error("function {function} does not take {kind} events")]
    WrongTrigger { function: String, kind: &'static str },
    #[error("function {function} failed: {message}")]
    Failed { function: String, message: String },
    #[error("function {function} crashed: {message}")]
    Crashed { function: String, message: String },
}

impl From<InvocationError> for InvokeError {
    fn from(error: InvocationError) -> InvokeError {
        match error {
            InvocationError::Unknown(function) => InvokeError::Unknown(function),
            InvocationError::WrongTrigger { function, kind } => InvokeError::WrongTrigger { function, kind },
            InvocationError::Failed { function, source } => InvokeError::Failed {
                function,
                message: cakeshop_ports::error_chain(source.as_ref()),
            },
        }
    }
}

/// What an invocation layer offers the gateway and the event source mappings.
pub trait Invoke: Send + Sync + 'static {
    fn http(
        &self,
        function: &str,
        request: ApiGatewayV2httpRequest,
    ) -> impl Future<Output = Result<ApiGatewayV2httpResponse, InvokeError>> + Send;
    fn kinesis(
        &self,
        function: &str,
        event: KinesisEvent,
    ) -> impl Future<Output = Result<KinesisEventResponse, InvokeError>> + Send;
    fn sqs(
        &self,
        function: &str,
        event: SqsEvent,
    ) -> impl Future<Output = Result<SqsBatchResponse, InvokeError>> + Send;
    /// A scheduled (EventBridge) invocation; its result as the function would return it.
    fn scheduled(
        &self,
        function: &str,
        event: EventBridgeEvent<serde_json::Value>,
    ) -> impl Future<Output = Result<serde_json::Value, InvokeError>> + Send;
}

impl Functions {
    /// Runs the function on its own task, a panic becoming an error of this invocation, and
    /// records it.
    async fn isolated(&self, function: &str, event: Event) -> Result<Answer, InvokeError> {
        let started = Started::of(function, &event);
        // Every line the invocation logs names its function, as its own log group would.
        let span = tracing::info_span!("invoke", function);
        let invocation = AssertUnwindSafe(Arc::clone(self.registry.get(function)?).invoke(event).instrument(span));
        let invocations = self.invocations.clone();
        let name = function.to_owned();
        // On a task of its own, so that it runs (and is recorded) to its end even when the
        // caller stops waiting for it, as a mapping's timeout does.
        let run = async move {
            let answer = match invocation.catch_unwind().await {
                Ok(answer) => answer.map_err(InvokeError::from),
                Err(panic) => Err(InvokeError::Crashed {
                    function: name,
                    message: panic_text(panic.as_ref()),
                }),
            };
            invocations.finish(started, answer.as_ref().map_err(ToString::to_string));
            answer
        };
        tokio::spawn(run).await.unwrap_or_else(|_| {
            Err(InvokeError::Crashed {
                function: function.to_owned(),
                message: "cancelled".into(),
            })
        })
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// An answer of another trigger than the event's: a declaration whose response type does not
/// match its event type, which `TriggerEvent` and `IntoAnswer` make a programming error.
fn mismatched(function: &str) -> InvokeError {
    InvokeError::Failed {
        function: function.to_owned(),
        message: "answered with a response of another trigger".into(),
    }
}

impl Invoke for Arc<Functions> {
    async fn http(
        &self,
        function: &str,
        request: ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, InvokeError> {
        match self.isolated(function, Event::Http(Box::new(request))).await? {
            Answer::Http(response) => Ok(*response),
            _ => Err(mismatched(function)),
        }
    }

    async fn kinesis(&self, function: &str, event: KinesisEvent) -> Result<KinesisEventResponse, InvokeError> {
        match self.isolated(function, Event::Kinesis(event)).await? {
            Answer::Kinesis(response) => Ok(response),
            _ => Err(mismatched(function)),
        }
    }

    async fn sqs(&self, function: &str, event: SqsEvent) -> Result<SqsBatchResponse, InvokeError> {
        match self.isolated(function, Event::Sqs(event)).await? {
            Answer::Sqs(response) => Ok(response),
            _ => Err(mismatched(function)),
        }
    }

    async fn scheduled(
        &self,
        function: &str,
        event: EventBridgeEvent<serde_json::Value>,
    ) -> Result<serde_json::Value, InvokeError> {
        match self.isolated(function, Event::Schedule(event)).await? {
            Answer::Schedule(result) => Ok(result),
            _ => Err(mismatched(function)),
        }
    }
}
