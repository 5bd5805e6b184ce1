//! The `KinesisEvent` a Kinesis mapping delivers, field for field as Lambda builds it.

use super::shards::SourceRecord;
use crate::arn::REGION;
use aws_lambda_events::encodings::SecondTimestamp;
use aws_lambda_events::event::kinesis::{KinesisEvent, KinesisEventRecord, KinesisRecord};

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
