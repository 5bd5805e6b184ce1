//! A partner's HTTP API (the delivery company, customer service).

use crate::error::BoxError;
use std::future::Future;

/// The delivery company, as metrics, logs and the local stand-ins name it.
pub const DELIVERY: &str = "delivery";
/// Customer service, likewise.
pub const CUSTOMER_SERVICE: &str = "customer-service";
pub const PARTNERS: [&str; 2] = [DELIVERY, CUSTOMER_SERVICE];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerCall {
    /// Sent as `Idempotency-Key`, stable across retries, so the partner can drop repeats.
    pub idempotency_key: String,
    /// The JSON document to POST.
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PartnerError {
    #[error("the partner refused the call with HTTP {status}: {body}")]
    Rejected { status: u16, body: String },
    #[error("the partner answered HTTP {status}")]
    Unavailable { status: u16 },
    #[error("the partner could not be reached")]
    Unreachable(#[source] BoxError),
}

impl PartnerError {
    /// Whether trying again later may succeed (5xx, 429, network trouble).
    pub fn is_retryable(&self) -> bool {
        !matches!(self, PartnerError::Rejected { .. })
    }
}

pub trait PartnerClient: Send + Sync {
    fn call(&self, call: &PartnerCall) -> impl Future<Output = Result<(), PartnerError>> + Send;
}
