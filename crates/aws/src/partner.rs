//! A partner's HTTP API (the delivery company, customer service), over HTTPS with rustls.
//!
//! A call that meets a busy or unreachable partner (5xx, 408, 429, a timeout, a refused
//! connection) is tried again after a pause, with the same `Idempotency-Key`, as `RetryPolicy`
//! says and within the call's time budget; a refusal (any other 4xx) is final.

mod retry;

pub use retry::RetryPolicy;

use cakeshop_ports::{PartnerCall, PartnerClient, PartnerError};
use reqwest::header::CONTENT_TYPE;
use reqwest::{StatusCode, Url};
use std::time::{Duration, Instant};

/// How long one call may take, every try and pause included: well inside the 15 s timeout
/// `serverless.yml` gives the partner-calling functions, which also read and record the order.
pub const DEFAULT_PARTNER_TIMEOUT: Duration = Duration::from_secs(12);

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

/// POSTs each call's JSON body to one URL, with its `Idempotency-Key`, retrying as `retry` says.
#[derive(Debug, Clone)]
pub struct HttpPartner {
    http: reqwest::Client,
    url: Url,
    /// The whole call's time, every try and pause included.
    budget: Duration,
    retry: RetryPolicy,
}

impl HttpPartner {
    /// A client for `url` whose calls, retries included, give up after `timeout` (see
    /// `DEFAULT_PARTNER_TIMEOUT`), retrying as `RetryPolicy::DEFAULT` says.
    pub fn new(url: &str, timeout: Duration) -> Result<HttpPartner, HttpPartnerError> {
        let url = Url::parse(url)
            .ok()
            .filter(|parsed| matches!(parsed.scheme(), "http" | "https"))
            .ok_or_else(|| HttpPartnerError::BadUrl { url: url.to_owned() })?;
        let http = reqwest::Client::builder().build().map_err(HttpPartnerError::Client)?;
        Ok(HttpPartner {
            http,
            url,
            budget: timeout,
            retry: RetryPolicy::DEFAULT,
        })
    }

    /// The same client, retrying as `retry` says instead.
    pub fn with_retry(self, retry: RetryPolicy) -> HttpPartner {
        HttpPartner { retry, ..self }
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// What each try may take: an equal share of the budget left after the longest pauses, so
    /// that a partner that never answers still gets every try.
    fn per_try_timeout(&self) -> Duration {
        let attempts = self.retry.attempts.max(1);
        let pauses: Duration = (1..attempts).map(|retry| self.retry.backoff(retry, 1.0)).sum();
        match self.budget.checked_sub(pauses) {
            Some(left) if !left.is_zero() => left / attempts,
            _ => self.budget / attempts,
        }
    }

    /// One POST, given at most `timeout` from connecting to the answer's last byte.
    async fn try_once(&self, call: &PartnerCall, timeout: Duration) -> Result<(), PartnerError> {
        let unreachable = |error: reqwest::Error| PartnerError::Unreachable(Box::new(error));
        let response = self
            .http
            .post(self.url.clone())
            .timeout(timeout)
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
        let started = Instant::now();
        let attempts = self.retry.attempts.max(1);
        let per_try = self.per_try_timeout();
        let mut attempt = 1;
        loop {
            let left = self.budget.saturating_sub(started.elapsed());
            let error = match self.try_once(call, per_try.min(left)).await {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            if !error.is_retryable() || attempt >= attempts {
                return Err(error);
            }
            let pause = self.retry.backoff(attempt, retry::random_fraction());
            if started.elapsed() + pause >= self.budget {
                return Err(error);
            }
            tracing::warn!(
                attempt,
                pause_ms = pause.as_millis() as u64,
                error = %cakeshop_ports::error_chain(&error),
                "partner call failed; trying again"
            );
            retry::pause(pause).await;
            attempt += 1;
        }
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
    fn every_try_of_a_silent_partner_fits_the_budget() {
        let client = HttpPartner::new("http://127.0.0.1:9/", DEFAULT_PARTNER_TIMEOUT).expect("client");
        let per_try = client.per_try_timeout();
        let longest_pauses: Duration = (1..client.retry.attempts)
            .map(|retry| client.retry.backoff(retry, 1.0))
            .sum();
        let worst_case = per_try * client.retry.attempts + longest_pauses;
        assert!(worst_case <= DEFAULT_PARTNER_TIMEOUT, "{worst_case:?}");
        assert!(
            per_try >= Duration::from_secs(1),
            "each try still has time: {per_try:?}"
        );

        let tiny = HttpPartner {
            budget: Duration::from_millis(300),
            ..client
        };
        assert_eq!(
            tiny.per_try_timeout(),
            Duration::from_millis(100),
            "a budget shorter than the pauses is shared"
        );
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
