//! The events AWS would deliver, built from what the local store holds: the same
//! `aws_lambda_events` types, field for field, that the Lambdas receive.

use crate::mappings::{ReceivedMessage, SourceRecord};
use aws_lambda_events::encodings::SecondTimestamp;
use aws_lambda_events::event::kinesis::{KinesisEvent, KinesisEventRecord, KinesisRecord};
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_lambda_events::eventbridge::EventBridgeEvent;

pub const REGION: &str = "local";
pub const ACCOUNT: &str = "000000000000";

pub fn stream_arn(stream: &str) -> String {
    format!("arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{stream}")
}

pub fn queue_arn(queue: &str) -> String {
    format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}")
}

pub fn function_arn(function: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}")
}

pub fn shard_id(shard: u32) -> String {
    format!("shardId-{shard:012}")
}

pub fn kinesis_event(records: &[SourceRecord], stream_arn: &str) -> KinesisEvent {
    let mut event = KinesisEvent::default();
    event.records = records
        .iter()
        .map(|record| {
            let mut kinesis = KinesisRecord::default();
            kinesis.approximate_arrival_timestamp =
                SecondTimestamp(chrono::DateTime::from_timestamp_millis(record.arrived_ms).unwrap_or_default());
            kinesis.data.0 = record.data.clone();
            kinesis.partition_key = record.partition_key.clone();
            kinesis.sequence_number = record.sequence.as_str().to_owned();
            kinesis.kinesis_schema_version = Some("1.0".into());
            let mut envelope = KinesisEventRecord::default();
            envelope.aws_region = Some(REGION.into());
            envelope.event_id = Some(format!("{}:{}", record.shard_id, record.sequence.as_str()));
            envelope.event_name = Some("aws:kinesis:record".into());
            envelope.event_source = Some("aws:kinesis".into());
            envelope.event_source_arn = Some(stream_arn.to_owned());
            envelope.event_version = Some("1.0".into());
            envelope.kinesis = kinesis;
            envelope
        })
        .collect();
    event
}

pub fn sqs_event(messages: &[ReceivedMessage], queue_arn: &str) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|message| {
            let mut sqs = SqsMessage::default();
            sqs.message_id = Some(message.message_id.clone());
            sqs.receipt_handle = Some(message.receipt_handle.clone());
            sqs.body = Some(message.body.clone());
            sqs.attributes = message.attributes.clone();
            sqs.event_source = Some("aws:sqs".into());
            sqs.event_source_arn = Some(queue_arn.to_owned());
            sqs.aws_region = Some(REGION.into());
            sqs
        })
        .collect();
    event
}

/// The event EventBridge sends a function on a `schedule:` rule.
pub fn scheduled_event(function: &str) -> EventBridgeEvent<serde_json::Value> {
    let mut event = EventBridgeEvent::default();
    event.version = Some("0".into());
    event.detail_type = "Scheduled Event".into();
    event.source = "aws.events".into();
    event.region = Some(REGION.into());
    event.resources = Some(vec![format!(
        "arn:aws:events:{REGION}:{ACCOUNT}:rule/{function}-schedule"
    )]);
    event.detail = serde_json::json!({});
    event
}
