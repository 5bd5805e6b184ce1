//! A partner's HTTP API (the delivery company, customer service), over HTTPS with rustls.

use cakeshop_ports::{PartnerCall, PartnerClient, PartnerError};
use reqwest::header::CONTENT_TYPE;
use reqwest::{StatusCode, Url};
use std::time::Duration;

/// How long one call may take, from connecting to the last byte of the answer.
pub const DEFAULT_PARTNER_TIMEOUT: Duration = Duration::from_secs(10);

/// How much of a refusal's body is kept for the logs and the dead-letter record.
const KEPT_BODY_CHARS: usize = 500;

/// The partner client could not be set up.
#[derive(thiserror::Error)]
pub enum HttpPartnerError {
    #[error("the partner URL {url:?} is not an absolute http(s) URL")]
    BadUrl { url: String },
    #[error("building the HTTP client failed")]
    Client(#[source] reqwest::Error),
}

impl std::fmt::Debug for HttpPartnerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::error_report::fmt_report(self, f)
    }
}

/// POSTs each call's JSON body to one URL, with its `Idempotency-Key`.
#[derive(Debug, Clone)]
pub struct HttpPartner {
    http: reqwest::Client,
    url: Url,
}

impl HttpPartner {
    /// A client for `url` whose calls give up after `timeout` (see `DEFAULT_PARTNER_TIMEOUT`).
    pub fn new(url: &str, timeout: Duration) -> Result<HttpPartner, HttpPartnerError> {
        let url = Url::parse(url)
            .ok()
            .filter(|parsed| matches!(parsed.scheme(), "http" | "https"))
            .ok_or_else(|| HttpPartnerError::BadUrl { url: url.to_owned() })?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(HttpPartnerError::Client)?;
        Ok(HttpPartner { http, url })
    }

    pub fn url(&self) -> &Url {
        &self.url
    }
}

/// What an answer's status means: 2xx done, 408/429/5xx try later, anything else refused.
fn judge(status: StatusCode, body: impl FnOnce() -> String) -> Result<(), PartnerError> {
    if status.is_success() {
        Ok(())
    } else if status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
    {
        Err(PartnerError::Unavailable {
            status: status.as_u16(),
        })
    } else {
        Err(PartnerError::Rejected {
            status: status.as_u16(),
            body: truncate(body()),
        })
    }
}

fn truncate(mut body: String) -> String {
    if let Some((cut, _)) = body.char_indices().nth(KEPT_BODY_CHARS) {
        body.truncate(cut);
        body.push('…');
    }
    body
}

impl PartnerClient for HttpPartner {
    async fn call(&self, call: &PartnerCall) -> Result<(), PartnerError> {
        let unreachable = |error: reqwest::Error| PartnerError::Unreachable(Box::new(error));
        let response = self
            .http
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", &call.idempotency_key)
            .body(call.body.clone())
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        // The body only explains a refusal; if it cannot be read, the status still decides.
        let body = response.text().await.unwrap_or_default();
        judge(status, || body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_decide_between_done_retry_and_refused() {
        let judged = |code: u16| {
            let status = StatusCode::from_u16(code).expect("valid status");
            judge(status, || "nope".into())
        };
        assert!(judged(200).is_ok() && judged(204).is_ok());
        for retryable in [408, 429, 500, 503] {
            assert!(matches!(judged(retryable), Err(PartnerError::Unavailable { status }) if status == retryable));
        }
        assert!(matches!(
            judged(422),
            Err(PartnerError::Rejected { status: 422, ref body }) if body == "nope"
        ));
    }

    #[test]
    fn long_refusals_are_cut() {
        let body = truncate("é".repeat(2_000));
        assert_eq!(body.chars().count(), KEPT_BODY_CHARS + 1);
        assert_eq!(truncate("short".into()), "short");
    }

    #[test]
    fn only_http_urls_are_taken() {
        assert!(HttpPartner::new("https://partner.example.com/deliveries", DEFAULT_PARTNER_TIMEOUT).is_ok());
        for bad in ["", "partner.example.com", "ftp://partner.example.com"] {
            assert!(matches!(
                HttpPartner::new(bad, DEFAULT_PARTNER_TIMEOUT),
                Err(HttpPartnerError::BadUrl { .. })
            ));
        }
    }
}
