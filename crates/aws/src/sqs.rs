//! A queue on SQS.

use aws_sdk_sqs::error::BuildError;
use aws_sdk_sqs::operation::send_message_batch::SendMessageBatchOutput;
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use cakeshop_domain::TraceParent;
use cakeshop_ports::error_chain;
use cakeshop_ports::{FailedMessage, OutgoingMessage, PortError, QueueSender, SendReport, TRACEPARENT_ATTRIBUTE};

const SEND: &str = "sending messages to SQS";

/// The most messages one `SendMessageBatch` call takes.
pub const SQS_BATCH_LIMIT: usize = 10;

/// Sends messages to one SQS queue, ten to a call.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> SqsQueue {
        SqsQueue {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// Sends one chunk. Entry ids are positions within the chunk; each refusal is mapped back
    /// to the caller's key.
    async fn send_chunk(&self, chunk: &[OutgoingMessage]) -> Result<Vec<FailedMessage>, PortError> {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(index, message)| {
                let entry = SendMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .message_body(&message.body);
                match message.trace {
                    Some(trace) => entry.message_attributes(TRACEPARENT_ATTRIBUTE, traceparent_attribute(trace)?),
                    None => entry,
                }
                .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| PortError::new(SEND, error))?;
        let output = self
            .client
            .send_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|error| PortError::new(SEND, error))?;
        Ok(refusals(chunk, &output))
    }
}

fn traceparent_attribute(trace: TraceParent) -> Result<MessageAttributeValue, BuildError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(trace.to_string())
        .build()
}

/// The messages of a chunk that SQS refused, or did not mention at all.
fn refusals(chunk: &[OutgoingMessage], output: &SendMessageBatchOutput) -> Vec<FailedMessage> {
    chunk
        .iter()
        .enumerate()
        .filter_map(|(index, message)| {
            let id = index.to_string();
            let reason = if let Some(failed) = output.failed().iter().find(|f| f.id() == id) {
                match failed.message() {
                    Some(text) => format!("{}: {text}", failed.code()),
                    None => failed.code().to_owned(),
                }
            } else if output.successful().iter().any(|s| s.id() == id) {
                return None;
            } else {
                "SQS reported neither success nor failure for this message".to_owned()
            };
            Some(FailedMessage {
                key: message.key.clone(),
                reason,
            })
        })
        .collect()
}

impl QueueSender for SqsQueue {
    /// Sends every chunk. A chunk whose call failed has all its messages reported as failed
    /// (the other chunks may have gone through); only when no call went through at all is
    /// the result an error, since then nothing was sent.
    async fn send_batch(&self, messages: &[OutgoingMessage]) -> Result<SendReport, PortError> {
        let mut report = SendReport::default();
        let mut first_error = None;
        let mut any_call_succeeded = false;
        for chunk in messages.chunks(SQS_BATCH_LIMIT) {
            match self.send_chunk(chunk).await {
                Ok(failed) => {
                    any_call_succeeded = true;
                    report.failed.extend(failed);
                }
                Err(error) => {
                    let reason = error_chain(&error);
                    report.failed.extend(chunk.iter().map(|message| FailedMessage {
                        key: message.key.clone(),
                        reason: reason.clone(),
                    }));
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) if !any_call_succeeded => Err(error),
            _ => Ok(report),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::types::{BatchResultErrorEntry, SendMessageBatchResultEntry};

    fn message(key: &str) -> OutgoingMessage {
        OutgoingMessage {
            key: key.into(),
            body: format!("{{\"key\":\"{key}\"}}"),
            trace: None,
        }
    }

    #[test]
    fn refusals_are_named_by_the_callers_key() {
        let chunk = [message("a"), message("b"), message("c")];
        let accepted = SendMessageBatchResultEntry::builder()
            .id("0")
            .message_id("m-0")
            .md5_of_message_body("x")
            .build()
            .expect("complete entry");
        let refused = BatchResultErrorEntry::builder()
            .id("1")
            .code("InvalidMessageContents")
            .message("bad characters")
            .sender_fault(true)
            .build()
            .expect("complete entry");
        let output = SendMessageBatchOutput::builder()
            .successful(accepted)
            .failed(refused)
            .build()
            .expect("complete output");
        assert_eq!(
            refusals(&chunk, &output),
            vec![
                FailedMessage {
                    key: "b".into(),
                    reason: "InvalidMessageContents: bad characters".into()
                },
                FailedMessage {
                    key: "c".into(),
                    reason: "SQS reported neither success nor failure for this message".into()
                },
            ]
        );
    }
}
