//! Outgoing email.

use crate::error::{BoxError, PortError};
use cakeshop_domain::OrderId;
use std::future::Future;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The order the email is about, kept with the message for tracing.
    pub order_id: OrderId,
    /// Stable for the fact the email reports (the event id), so that a provider able to
    /// recognise repeats sends a retried email once.
    pub idempotency_key: String,
}

pub trait Mailer: Send + Sync {
    /// Sends the email and returns the provider's message id.
    fn send(&self, email: &Email) -> impl Future<Output = Result<String, PortError>> + Send;
}

/// The provider refused the email for good (SES `MessageRejected`, an unverified sender, an
/// SMTP 5xx): sending it again would be refused again, so it is not retried.
#[derive(Debug, thiserror::Error)]
#[error("the email was refused for good")]
pub struct MailRefused {
    #[source]
    pub cause: BoxError,
}

/// Whether `error`, or any of its causes, is `MailRefused`.
pub fn is_mail_refused(error: &(dyn std::error::Error + 'static)) -> bool {
    crate::error::caused_by::<MailRefused>(error)
}
