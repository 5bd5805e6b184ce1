//! Wrapping what one handler emitted into the event the next handler's trigger delivers,
//! shaped like the events AWS sends (and like the samples in `events/`).

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::sqs::SqsEvent;
use base64::Engine;
use cakeshop_domain::OrderEvent;
use serde_json::{Value, json};

pub const REGION: &str = "eu-west-1";
pub const STREAM_ARN: &str = "arn:aws:kinesis:eu-west-1:123456789012:stream/cakeshop-dev-orders";
pub const DELIVERY_QUEUE_ARN: &str = "arn:aws:sqs:eu-west-1:123456789012:cakeshop-dev-delivery";
pub const FEEDBACK_QUEUE_ARN: &str = "arn:aws:sqs:eu-west-1:123456789012:cakeshop-dev-feedback";

/// A Kinesis event carrying `events` as consecutive records of shard 0, starting at `first_sequence`.
pub fn kinesis_event(events: &[OrderEvent], first_sequence: u128, arrival_seconds: i64) -> Value {
    let records: Vec<Value> = events
        .iter()
        .enumerate()
        .map(|(n, event)| {
            kinesis_record(
                &event.encode().expect("encodes"),
                event.partition_key(),
                first_sequence + n as u128,
                arrival_seconds,
            )
        })
        .collect();
    json!({ "Records": records })
}

pub fn kinesis_record(data: &[u8], partition_key: &str, sequence: u128, arrival_seconds: i64) -> Value {
    let sequence_number = format!("4965{sequence:052}");
    json!({
        "awsRegion": REGION,
        "eventID": format!("shardId-000000000000:{sequence_number}"),
        "eventName": "aws:kinesis:record",
        "eventSource": "aws:kinesis",
        "eventSourceARN": STREAM_ARN,
        "eventVersion": "1.0",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/cakeshop-dev-consumer",
        "kinesis": {
            "approximateArrivalTimestamp": arrival_seconds,
            "data": base64::engine::general_purpose::STANDARD.encode(data),
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "kinesisSchemaVersion": "1.0",
        },
    })
}

/// An SQS event carrying `bodies` as messages with UUID-shaped ids `<prefix>-<n as 12 digits>`.
pub fn sqs_event(bodies: &[String], queue_arn: &str, id_prefix: &str, sent_millis: i64) -> Value {
    let messages: Vec<(String, Option<String>)> = bodies.iter().map(|body| (body.clone(), None)).collect();
    traced_sqs_event(&messages, queue_arn, id_prefix, sent_millis)
}

/// `sqs_event` of messages (body, `traceparent` attribute) as a queue hands them over.
pub fn traced_sqs_event(
    messages: &[(String, Option<String>)],
    queue_arn: &str,
    id_prefix: &str,
    sent_millis: i64,
) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(n, (body, trace))| {
            let mut message = sqs_message(body, queue_arn, &format!("{id_prefix}-{n:012}"), sent_millis);
            if let Some(trace) = trace {
                // As Lambda writes a string message attribute.
                message["messageAttributes"] = json!({
                    "traceparent": {
                        "stringValue": trace,
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": "String"
                    }
                });
            }
            message
        })
        .collect();
    json!({ "Records": records })
}

pub fn sqs_message(body: &str, queue_arn: &str, message_id: &str, sent_millis: i64) -> Value {
    json!({
        "messageId": message_id,
        "receiptHandle": format!("receipt-{message_id}"),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": sent_millis.to_string(),
            "SenderId": "AROAEXAMPLE:cakeshop",
            "ApproximateFirstReceiveTimestamp": sent_millis.to_string(),
        },
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    })
}

/// An HTTP API (payload 2.0) request as API Gateway hands it to the function.
pub fn http_request(method: &str, route: &str, path: &str, headers: Value, body: Option<&str>) -> Value {
    let mut request = json!({
        "version": "2.0",
        "routeKey": format!("{method} {route}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "domainName": "abc123defg.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123defg",
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0" },
            "requestId": "req-1",
            "routeKey": format!("{method} {route}"),
            "stage": "$default",
            "time": "20/Nov/2026:09:00:00 +0000",
            "timeEpoch": 1_795_165_200_000_i64,
        },
        "isBase64Encoded": false,
    });
    if let Some(body) = body {
        request["body"] = Value::String(body.to_owned());
    }
    request
}

pub fn as_kinesis(value: &Value) -> KinesisEvent {
    parse(value, "Kinesis event")
}

pub fn as_sqs(value: &Value) -> SqsEvent {
    parse(value, "SQS event")
}

pub fn as_http(value: &Value) -> ApiGatewayV2httpRequest {
    parse(value, "HTTP API request")
}

fn parse<T: serde::de::DeserializeOwned>(value: &Value, what: &str) -> T {
    match serde_json::from_value(value.clone()) {
        Ok(parsed) => parsed,
        Err(error) => panic!("not a valid {what}: {error}"),
    }
}
