//! The client limits, as the HTTP handlers apply them (`Gate`). The client is the address API
//! Gateway saw the request come from (`requestContext.http.sourceIp`), which `cakeshop dev`
//! sets the same way, believing `X-Forwarded-For` only from a proxy it was told to trust. An
//! email address is the recipient's, lowercased. Either is stored only as a pseudonym
//! (`Signer::pseudonym`).
//!
//! A limit that counts every use (`take`) counts it once the request has proved well formed,
//! so a refused bad request writes nothing; one that counts failures (a wrong baker key) takes
//! a use before checking and gives it back when the check passes, so that racing guesses
//! cannot all be checked before the first is counted. A refusal is `429` with `Retry-After`.

use crate::shared::api::ApiError;
use crate::shared::auth::{BakerKey, Signer};
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use cakeshop_domain::{ClientLimits, Limit, OrderId};
use cakeshop_ports::{Clock, Limiter, PortError, Verdict, limits};
use std::sync::Arc;

/// Where a request came from, when nothing says: such requests share one counter.
const UNKNOWN_CLIENT: &str = "unknown";

/// The client limits of one function.
pub struct Gate<L> {
    limiter: L,
    limits: ClientLimits,
    signer: Signer,
    clock: Arc<dyn Clock>,
}

/// Whose use is counted.
pub enum Subject<'a> {
    /// The client that sent the request.
    Client(&'a ApiGatewayV2httpRequest),
    /// An email address, whoever sends to it.
    Recipient(&'a str),
}

impl<L: Limiter> Gate<L> {
    pub fn new(limiter: L, limits: ClientLimits, signer: Signer, clock: Arc<dyn Clock>) -> Gate<L> {
        Gate {
            limiter,
            limits,
            signer,
            clock,
        }
    }

    /// Counts one use of `limit` by `subject`; over the limit, the `429` to answer with.
    pub async fn take(&self, limit: Limit, subject: Subject<'_>) -> Result<(), ApiError> {
        let verdict = self
            .counted(limit, subject)
            .await
            .map_err(|error| ApiError::internal("checking the client limits failed", &error))?;
        refusal(limit, verdict)
    }

    /// Counts one use of `limit` by `subject`, if it is allowed.
    pub async fn counted(&self, limit: Limit, subject: Subject<'_>) -> Result<Verdict, PortError> {
        let windows = self.limits.windows(limit);
        if windows.is_empty() {
            return Ok(Verdict::Allowed);
        }
        let key = self.key(limit, &subject);
        limits::take(&self.limiter, limit, &key, windows, self.clock.now()).await
    }

    /// Whether `subject` may use `limit` once more, counting nothing.
    pub async fn check(&self, limit: Limit, subject: Subject<'_>) -> Result<(), ApiError> {
        let windows = self.limits.windows(limit);
        if windows.is_empty() {
            return Ok(());
        }
        let key = self.key(limit, &subject);
        let verdict = limits::check(&self.limiter, limit, &key, windows, self.clock.now())
            .await
            .map_err(|error| ApiError::internal("checking the client limits failed", &error))?;
        refusal(limit, verdict)
    }

    /// Gives back a use `take` counted a moment ago (the check it guarded passed). A failure
    /// only leaves the use counted, so it is logged, not answered.
    pub async fn give_back(&self, limit: Limit, subject: Subject<'_>) {
        let windows = self.limits.windows(limit);
        if windows.is_empty() {
            return;
        }
        let key = self.key(limit, &subject);
        if let Err(error) = limits::give_back(&self.limiter, limit, &key, windows, self.clock.now()).await {
            tracing::warn!(error = %cakeshop_ports::error_chain(&error), limit = limit.name(), "giving back a use failed");
        }
    }

    /// Refuses a client that has sent too many wrong customer tokens, before this one is
    /// checked. Tokens cannot be guessed; this keeps anyone from trying at length.
    pub async fn not_guessing(&self, request: &ApiGatewayV2httpRequest) -> Result<(), ApiError> {
        self.check(Limit::WrongTokens, Subject::Client(request)).await
    }

    /// Counts a wrong customer token against its client.
    pub async fn wrong_token(&self, request: &ApiGatewayV2httpRequest) {
        // Already over the limit: the client's next request is refused by `not_guessing`.
        let _counted = self.take(Limit::WrongTokens, Subject::Client(request)).await;
    }

    fn key(&self, limit: Limit, subject: &Subject<'_>) -> String {
        match subject {
            Subject::Client(request) => self.signer.pseudonym(limit.name(), client_of(request)),
            Subject::Recipient(address) => self.signer.pseudonym(limit.name(), &address.trim().to_lowercase()),
        }
    }
}

/// The client address a request came from.
pub fn client_of(request: &ApiGatewayV2httpRequest) -> &str {
    request
        .request_context
        .http
        .source_ip
        .as_deref()
        .filter(|ip| !ip.is_empty())
        .unwrap_or(UNKNOWN_CLIENT)
}

fn refusal(limit: Limit, verdict: Verdict) -> Result<(), ApiError> {
    match verdict {
        Verdict::Allowed => Ok(()),
        Verdict::Refused { retry_after_seconds } => {
            tracing::info!(
                limit = limit.name(),
                retry_after_seconds,
                "refused: over a client limit"
            );
            let message = match limit {
                Limit::Orders => "Too many orders from your address".to_owned(),
                Limit::SignIn => "Too many wrong baker keys from your address".to_owned(),
                Limit::CustomerActions => {
                    "Too many cancellations or delivery confirmations from your address".to_owned()
                }
                Limit::WrongTokens => "Too many wrong order links from your address".to_owned(),
                Limit::Recipient => "Too many emails have gone to this email address today".to_owned(),
            };
            Err(ApiError {
                retry_after_seconds: Some(retry_after_seconds),
                ..ApiError::new(
                    429,
                    "too_many_requests",
                    format!(
                        "{message}; nothing was saved. Please try again in {}.",
                        wait(retry_after_seconds)
                    ),
                )
            })
        }
    }
}

/// `45 seconds`, `12 minutes`, `3 hours`.
fn wait(seconds: u32) -> String {
    match seconds {
        0..=1 => "a second".to_owned(),
        2..=90 => format!("{seconds} seconds"),
        91..=5_399 => format!("{} minutes", seconds.div_ceil(60)),
        _ => format!("{} hours", seconds.div_ceil(3_600)),
    }
}

/// A customer's action on their order (cancel, received): refused while the client is over
/// its wrong-token limit, `403` if `token` is not the order's customer token (counted as
/// wrong), else counted against the client's `customer` limit.
pub async fn customer_action<L: Limiter>(
    gate: Option<&Gate<L>>,
    signer: &Signer,
    request: &ApiGatewayV2httpRequest,
    order_id: &OrderId,
    token: &str,
) -> Result<(), ApiError> {
    if let Some(gate) = gate {
        gate.not_guessing(request).await?;
    }
    if !signer.is_customer_token(order_id, token) {
        if let Some(gate) = gate {
            gate.wrong_token(request).await;
        }
        return Err(ApiError::forbidden("this token does not open this order"));
    }
    match gate {
        Some(gate) => gate.take(Limit::CustomerActions, Subject::Client(request)).await,
        None => Ok(()),
    }
}

/// Whether `token`, sent as a bearer token, is the baker's key, keeping to the client's
/// `sign-in` limit as the board's sign-in does (a use taken first, given back if the key is
/// right; `429` while the client is over it). The key is long and random; this keeps anyone
/// from trying at length through the API rather than the form.
pub async fn is_baker_key<L: Limiter>(
    gate: Option<&Gate<L>>,
    baker_key: &BakerKey,
    request: &ApiGatewayV2httpRequest,
    token: &str,
) -> Result<bool, ApiError> {
    checked_as_sign_in(gate, request, || baker_key.matches(token)).await
}

/// Runs `genuine`, a check of a credential, as a use of the client's `sign-in` limit: taken
/// before the check and given back when it passes, so that racing guesses cannot all be
/// checked before the first is counted.
pub async fn checked_as_sign_in<L: Limiter>(
    gate: Option<&Gate<L>>,
    request: &ApiGatewayV2httpRequest,
    genuine: impl FnOnce() -> bool,
) -> Result<bool, ApiError> {
    let Some(gate) = gate else {
        return Ok(genuine());
    };
    gate.take(Limit::SignIn, Subject::Client(request)).await?;
    let passed = genuine();
    if passed {
        gate.give_back(Limit::SignIn, Subject::Client(request)).await;
    }
    Ok(passed)
}
