//! The `SqsEvent` an SQS mapping delivers, field for field as Lambda builds it.

use super::messages::ReceivedMessage;
use crate::arn::REGION;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage, SqsMessageAttribute};

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
            sqs.message_attributes = message
                .message_attributes
                .iter()
                .map(|(name, value)| {
                    let mut attribute = SqsMessageAttribute::default();
                    attribute.string_value = Some(value.clone());
                    attribute.data_type = Some("String".into());
                    (name.clone(), attribute)
                })
                .collect();
            sqs.event_source = Some("aws:sqs".into());
            sqs.event_source_arn = Some(queue_arn.to_owned());
            sqs.aws_region = Some(REGION.into());
            sqs
        })
        .collect();
    event
}
