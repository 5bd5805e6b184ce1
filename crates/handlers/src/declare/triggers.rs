//! The four kinds of trigger the shop's functions have, with the `aws_lambda_events` types
//! each delivers and expects back.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_lambda_events::event::streams::KinesisEventResponse;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// An HTTP API route (API Gateway v2, payload 2.0).
    Http,
    /// A Kinesis event source mapping.
    Kinesis,
    /// An SQS event source mapping.
    Sqs,
    /// An EventBridge schedule.
    Schedule,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Http => "HTTP",
            Trigger::Kinesis => "Kinesis",
            Trigger::Sqs => "SQS",
            Trigger::Schedule => "scheduled",
        }
    }
}

/// An event of any trigger, for invoking a function by name.
#[derive(Debug)]
pub enum Event {
    /// Boxed: a request is several times the size of the other events.
    Http(Box<ApiGatewayV2httpRequest>),
    Kinesis(KinesisEvent),
    Sqs(SqsEvent),
    Schedule(EventBridgeEvent<serde_json::Value>),
}

impl Event {
    pub fn trigger(&self) -> Trigger {
        match self {
            Event::Http(_) => Trigger::Http,
            Event::Kinesis(_) => Trigger::Kinesis,
            Event::Sqs(_) => Trigger::Sqs,
            Event::Schedule(_) => Trigger::Schedule,
        }
    }
}

/// What a function invoked by name answered.
#[derive(Debug)]
pub enum Answer {
    /// Boxed: a response is several times the size of the other answers.
    Http(Box<ApiGatewayV2httpResponse>),
    Kinesis(KinesisEventResponse),
    Sqs(SqsBatchResponse),
    /// A scheduled function's result, as JSON (what Lambda would return to EventBridge).
    Schedule(serde_json::Value),
}

/// An event type a function can take, and how its response is answered.
pub trait TriggerEvent: DeserializeOwned + Send + 'static + Sized {
    const TRIGGER: Trigger;
    /// The event, if it is of this trigger; otherwise the trigger it is of.
    fn take(event: Event) -> Result<Self, Trigger>;
}

/// A response a function can give.
pub trait IntoAnswer {
    fn into_answer(self) -> Result<Answer, serde_json::Error>;
}

impl TriggerEvent for ApiGatewayV2httpRequest {
    const TRIGGER: Trigger = Trigger::Http;
    fn take(event: Event) -> Result<Self, Trigger> {
        match event {
            Event::Http(request) => Ok(*request),
            other => Err(other.trigger()),
        }
    }
}

impl TriggerEvent for KinesisEvent {
    const TRIGGER: Trigger = Trigger::Kinesis;
    fn take(event: Event) -> Result<Self, Trigger> {
        match event {
            Event::Kinesis(records) => Ok(records),
            other => Err(other.trigger()),
        }
    }
}

impl TriggerEvent for SqsEvent {
    const TRIGGER: Trigger = Trigger::Sqs;
    fn take(event: Event) -> Result<Self, Trigger> {
        match event {
            Event::Sqs(messages) => Ok(messages),
            other => Err(other.trigger()),
        }
    }
}

impl TriggerEvent for EventBridgeEvent<serde_json::Value> {
    const TRIGGER: Trigger = Trigger::Schedule;
    fn take(event: Event) -> Result<Self, Trigger> {
        match event {
            Event::Schedule(tick) => Ok(tick),
            other => Err(other.trigger()),
        }
    }
}

impl IntoAnswer for ApiGatewayV2httpResponse {
    fn into_answer(self) -> Result<Answer, serde_json::Error> {
        Ok(Answer::Http(Box::new(self)))
    }
}

impl IntoAnswer for KinesisEventResponse {
    fn into_answer(self) -> Result<Answer, serde_json::Error> {
        Ok(Answer::Kinesis(self))
    }
}

impl IntoAnswer for SqsBatchResponse {
    fn into_answer(self) -> Result<Answer, serde_json::Error> {
        Ok(Answer::Sqs(self))
    }
}
