//! The functions `cakeshop dev` can run, by the names `serverless.yml` gives them, each built on
//! whichever adapters the backend provides. Every invocation runs as its own task, so a handler
//! that panics fails that invocation only, as a crashed Lambda would.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_lambda_events::event::streams::KinesisEventResponse;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use cakeshop_handlers::{
    ConfirmDelivery, ForwardFeedback, FulfillOrder, NotifyBaker, NotifyDelivery, OrderQueries, PlaceOrder, RelayEvents,
    RequestDelivery,
};
use cakeshop_ports::{EventPublisher, Mailer, OrderRepository, PartnerClient, QueueSender};
use std::sync::Arc;

/// The names of the functions this runtime knows, as in `serverless.yml`.
pub const KNOWN_FUNCTIONS: [&str; 9] = [
    "place-order",
    "notify-baker",
    "fulfill-order",
    "request-delivery",
    "notify-delivery",
    "confirm-delivery",
    "forward-feedback",
    "order-queries",
    "relay-events",
];

pub struct Functions<O, E, Q, M, P> {
    pub place_order: PlaceOrder<O, E>,
    pub notify_baker: NotifyBaker<O, M>,
    pub fulfill_order: FulfillOrder<O, E>,
    pub request_delivery: RequestDelivery<O, Q>,
    pub notify_delivery: NotifyDelivery<O, P>,
    pub confirm_delivery: ConfirmDelivery<O, Q>,
    pub forward_feedback: ForwardFeedback<O, P>,
    pub order_queries: OrderQueries<O>,
    pub relay_events: RelayEvents<O, E>,
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

/// Runs `work` on its own task so that a panic becomes an error of this invocation.
async fn isolated<T: Send + 'static>(
    function: &str,
    work: impl Future<Output = Result<T, InvokeError>> + Send + 'static,
) -> Result<T, InvokeError> {
    match tokio::spawn(work).await {
        Ok(result) => result,
        Err(error) => {
            let message = if error.is_panic() {
                let payload = error.into_panic();
                payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into())
            } else {
                "cancelled".into()
            };
            Err(InvokeError::Crashed {
                function: function.to_owned(),
                message,
            })
        }
    }
}

impl<O, E, Q, M, P> Invoke for Arc<Functions<O, E, Q, M, P>>
where
    O: OrderRepository + 'static,
    E: EventPublisher + 'static,
    Q: QueueSender + 'static,
    M: Mailer + 'static,
    P: PartnerClient + 'static,
{
    async fn http(
        &self,
        function: &str,
        request: ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, InvokeError> {
        let functions = Arc::clone(self);
        let name = function.to_owned();
        isolated(function, async move {
            Ok(match name.as_str() {
                "place-order" => functions.place_order.handle(request).await,
                "fulfill-order" => functions.fulfill_order.handle(request).await,
                "confirm-delivery" => functions.confirm_delivery.handle(request).await,
                "order-queries" => functions.order_queries.handle(request).await,
                other => return Err(wrong_or_unknown(other, "HTTP")),
            })
        })
        .await
    }

    async fn kinesis(&self, function: &str, event: KinesisEvent) -> Result<KinesisEventResponse, InvokeError> {
        let functions = Arc::clone(self);
        let name = function.to_owned();
        isolated(function, async move {
            Ok(match name.as_str() {
                "notify-baker" => functions.notify_baker.handle(event).await,
                "request-delivery" => functions.request_delivery.handle(event).await,
                other => return Err(wrong_or_unknown(other, "Kinesis")),
            })
        })
        .await
    }

    async fn sqs(&self, function: &str, event: SqsEvent) -> Result<SqsBatchResponse, InvokeError> {
        let functions = Arc::clone(self);
        let name = function.to_owned();
        isolated(function, async move {
            Ok(match name.as_str() {
                "notify-delivery" => functions.notify_delivery.handle(event).await,
                "forward-feedback" => functions.forward_feedback.handle(event).await,
                other => return Err(wrong_or_unknown(other, "SQS")),
            })
        })
        .await
    }

    async fn scheduled(
        &self,
        function: &str,
        event: EventBridgeEvent<serde_json::Value>,
    ) -> Result<serde_json::Value, InvokeError> {
        let functions = Arc::clone(self);
        let name = function.to_owned();
        isolated(function, async move { run_scheduled(&functions, name, event).await }).await
    }
}

/// The scheduled functions, apart so that the `Invoke` impl stays a table of names.
async fn run_scheduled<O, E, Q, M, P>(
    functions: &Functions<O, E, Q, M, P>,
    function: String,
    event: EventBridgeEvent<serde_json::Value>,
) -> Result<serde_json::Value, InvokeError>
where
    O: OrderRepository,
    E: EventPublisher,
{
    let report = match function.as_str() {
        "relay-events" => functions.relay_events.handle(event).await,
        other => return Err(wrong_or_unknown(other, "scheduled")),
    };
    match report {
        Ok(report) => Ok(serde_json::to_value(report).unwrap_or_default()),
        Err(error) => Err(InvokeError::Failed {
            function,
            message: cakeshop_ports::error_chain(&error),
        }),
    }
}

fn wrong_or_unknown(function: &str, kind: &'static str) -> InvokeError {
    if KNOWN_FUNCTIONS.contains(&function) {
        InvokeError::WrongTrigger {
            function: function.to_owned(),
            kind,
        }
    } else {
        InvokeError::Unknown(function.to_owned())
    }
}
