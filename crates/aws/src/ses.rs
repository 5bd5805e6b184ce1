//! Outgoing email through SES (v2).

use aws_sdk_sesv2::error::SdkError;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageTag};
use cakeshop_ports::{Email, MailRefused, Mailer, PortError};

const SEND: &str = "sending an email with SES";

/// The message tag that carries the order id, so a sent email can be traced to its order.
pub const ORDER_ID_TAG: &str = "orderId";

/// Sends each email as SES "simple" content: subject, text and HTML parts, all UTF-8.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
}

impl SesMailer {
    pub fn new(client: aws_sdk_sesv2::Client) -> SesMailer {
        SesMailer { client }
    }
}

/// What SES will answer the same way however often it is asked: the message or its recipient
/// rejected, or a sender whose identity is not verified. Throttling, a paused or suspended
/// account and the network can change, and are retried.
fn refused_for_good(error: &SdkError<SendEmailError>) -> bool {
    matches!(
        error.as_service_error(),
        Some(SendEmailError::MessageRejected(_) | SendEmailError::MailFromDomainNotVerifiedException(_))
    )
}

fn utf8(data: &str) -> Result<Content, PortError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|error| PortError::new(SEND, error))
}

impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<String, PortError> {
        let message = Message::builder()
            .subject(utf8(&email.subject)?)
            .body(
                Body::builder()
                    .text(utf8(&email.text)?)
                    .html(utf8(&email.html)?)
                    .build(),
            )
            .build();
        let tag = MessageTag::builder()
            .name(ORDER_ID_TAG)
            .value(email.order_id.as_str())
            .build()
            .map_err(|error| PortError::new(SEND, error))?;
        let output = self
            .client
            .send_email()
            .from_email_address(&email.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .email_tags(tag)
            .send()
            .await
            .map_err(|error| {
                if refused_for_good(&error) {
                    PortError::new(SEND, MailRefused { cause: error.into() })
                } else {
                    PortError::new(SEND, error)
                }
            })?;
        match output.message_id() {
            Some(id) if !id.is_empty() => Ok(id.to_owned()),
            _ => Err(PortError::new(SEND, "SES accepted the email but named no message id")),
        }
    }
}
