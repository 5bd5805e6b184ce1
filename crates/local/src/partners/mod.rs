//! The partners' stand-ins (the delivery company's and customer service's APIs) under `/_local/partners/{partner}`: `POST` is the partner's API (it
//! records the call and accepts it), `GET` lists the calls received.
//!
//! `/_local/partners/{partner}/faults` makes a stand-in fail on purpose, at run time, to show
//! what retries, dead letters and redrive do with an outage: `PUT` a `PartnerFault`, `GET` the
//! current one with how many calls it failed, `DELETE` to heal. A failed call is not recorded
//! (the partner never got it), except in `acceptThenTimeout` mode, where the partner acts on
//! the call but the answer never comes, so the caller's retry is recorded as a repeat.

use crate::feeds::{FeedQuery, error_response as error};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cakeshop_sqlite::Store;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The partner APIs this process stands in for, by the path segment under `/_local/partners/`.
pub use cakeshop_ports::partner::PARTNERS;

/// How a stand-in misbehaves. Every field may be left out.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PartnerFault {
    /// The share of calls that fail, from 0 (none) to 1 (every one, the default).
    #[serde(default = "every_call")]
    pub failure_rate: f64,
    #[serde(default)]
    pub mode: FaultMode,
    /// `error` mode: the status answered, 400–599 (default 503).
    #[serde(default = "service_unavailable")]
    pub status: u16,
    /// Timeout modes: how long the stand-in stays silent before it gives up on the caller
    /// (default 60 s, far beyond any partner timeout; at most 10 minutes).
    #[serde(default = "a_minute")]
    pub silence_ms: u64,
}

/// What a failing call meets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultMode {
    /// An immediate error answer with `status`; the call is not recorded.
    #[default]
    Error,
    /// No answer within `silenceMs`; the call is not recorded.
    Timeout,
    /// The call is recorded (the partner acts on it), then no answer within `silenceMs`.
    AcceptThenTimeout,
}

fn every_call() -> f64 {
    1.0
}

fn service_unavailable() -> u16 {
    503
}

fn a_minute() -> u64 {
    60_000
}

const LONGEST_SILENCE_MS: u64 = 600_000;

impl PartnerFault {
    /// No fault: every call is accepted.
    pub const NONE: PartnerFault = PartnerFault {
        failure_rate: 0.0,
        mode: FaultMode::Error,
        status: 503,
        silence_ms: 60_000,
    };

    /// A share of calls answered with 503, as `cakeshop dev --partner-failure-rate` sets.
    pub fn unavailable(failure_rate: f64) -> PartnerFault {
        PartnerFault {
            failure_rate,
            ..PartnerFault::NONE
        }
    }

    /// What is wrong with this setting, if anything.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(0.0..=1.0).contains(&self.failure_rate) {
            problems.push(format!("failureRate must be from 0 to 1, not {}", self.failure_rate));
        }
        if !(400..=599).contains(&self.status) {
            problems.push(format!("status must be from 400 to 599, not {}", self.status));
        }
        if self.silence_ms > LONGEST_SILENCE_MS {
            problems.push(format!(
                "silenceMs must be at most {LONGEST_SILENCE_MS}, not {}",
                self.silence_ms
            ));
        }
        problems
    }
}

/// The fault of each stand-in, and how many calls it failed since it was set. Kept in memory:
/// a restart heals every partner (or sets them again from `--partner-failure-rate`).
#[derive(Debug, Clone, Default)]
pub struct PartnerFaults {
    by_partner: Arc<Mutex<HashMap<String, (PartnerFault, u64)>>>,
    failed: Arc<Mutex<VecDeque<FailedCall>>>,
}

/// A call a fault failed: the caller saw an error or no answer. The latest `FAILED_KEPT` are
/// kept, for the console.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedCall {
    pub partner: String,
    pub idempotency_key: String,
    pub order_id: Option<String>,
    pub fault: PartnerFault,
    pub at_ms: i64,
}

impl FailedCall {
    /// What the caller met, in words.
    pub fn describe(&self) -> String {
        match self.fault.mode {
            FaultMode::Error => format!("answered {} on purpose", self.fault.status),
            FaultMode::Timeout => format!("left waiting for {} ms", self.fault.silence_ms),
            FaultMode::AcceptThenTimeout => {
                format!("acted on, then left waiting for {} ms", self.fault.silence_ms)
            }
        }
    }
}

pub const FAILED_KEPT: usize = 1_000;

impl PartnerFaults {
    /// Every stand-in with this fault.
    pub fn everywhere(fault: PartnerFault) -> PartnerFaults {
        let faults = PartnerFaults::default();
        for partner in PARTNERS {
            faults.set(partner, fault);
        }
        faults
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (PartnerFault, u64)>> {
        self.by_partner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets a partner's fault and starts counting its failures afresh.
    pub fn set(&self, partner: &str, fault: PartnerFault) {
        self.lock().insert(partner.to_owned(), (fault, 0));
    }

    /// Heals a partner; returns the fault it had and the calls it failed.
    pub fn clear(&self, partner: &str) -> (PartnerFault, u64) {
        self.lock().remove(partner).unwrap_or((PartnerFault::NONE, 0))
    }

    /// The partner's fault and the calls it failed so far.
    pub fn get(&self, partner: &str) -> (PartnerFault, u64) {
        self.lock().get(partner).copied().unwrap_or((PartnerFault::NONE, 0))
    }

    /// Keeps a call the fault failed.
    fn record_failure(&self, call: FailedCall) {
        let mut failed = self.failed.lock().unwrap_or_else(PoisonError::into_inner);
        if failed.len() == FAILED_KEPT {
            failed.pop_front();
        }
        failed.push_back(call);
    }

    /// The failed calls kept, newest first, that `wanted` picks.
    pub fn failed_calls(&self, wanted: impl Fn(&FailedCall) -> bool) -> Vec<FailedCall> {
        let failed = self.failed.lock().unwrap_or_else(PoisonError::into_inner);
        failed.iter().rev().filter(|c| wanted(c)).cloned().collect()
    }

    /// Whether this call is to fail, and how (counted as failed if so).
    fn strike(&self, partner: &str) -> Option<PartnerFault> {
        let mut faults = self.lock();
        let (fault, injected) = faults.get_mut(partner)?;
        // A number in [0, 1): below a rate of 1 always, below 0 never.
        let draw = (RandomState::new().hash_one(partner) >> 11) as f64 / (1u64 << 53) as f64;
        if draw >= fault.failure_rate {
            return None;
        }
        *injected += 1;
        Some(*fault)
    }
}

struct StandIn {
    store: Store,
    faults: PartnerFaults,
}

/// The stand-ins' routes, on `store`, failing as `faults` say (served by every `Gateway`, and on
/// their own by tests).
pub fn partner_stand_ins(store: Store, faults: PartnerFaults) -> Router {
    Router::new()
        .route("/_local/partners/{partner}", get(calls).post(call))
        .route(
            "/_local/partners/{partner}/faults",
            get(show_fault).put(set_fault).delete(clear_fault),
        )
        .with_state(Arc::new(StandIn { store, faults }))
}

fn unknown(partner: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no partner {partner}; there are {PARTNERS:?}"),
    )
}

async fn calls(
    State(stand_in): State<Arc<StandIn>>,
    Path(partner): Path<String>,
    axum::extract::Query(feed): axum::extract::Query<FeedQuery>,
) -> Response {
    if !PARTNERS.contains(&partner.as_str()) {
        return unknown(&partner);
    }
    let changes = stand_in.store.feed_watch(&partner);
    let read = |after, limit| stand_in.store.partner_calls_after(&partner, after, limit);
    match feed.follow(changes, read).await {
        Ok(calls) => Json(calls).into_response(),
        Err(response) => response,
    }
}

/// The partner's API: records the call and accepts it, unless a fault says otherwise.
async fn call(
    State(stand_in): State<Arc<StandIn>>,
    Path(partner): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !PARTNERS.contains(&partner.as_str()) {
        return unknown(&partner);
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Ok(text) = std::str::from_utf8(&body) else {
        return error(StatusCode::BAD_REQUEST, "malformed", "the body is not UTF-8");
    };
    let Ok(document) = serde_json::from_str::<serde_json::Value>(text) else {
        return error(StatusCode::BAD_REQUEST, "malformed", "the body is not JSON");
    };
    let fault = stand_in.faults.strike(&partner);
    if let Some(fault) = fault {
        stand_in.faults.record_failure(FailedCall {
            partner: partner.clone(),
            idempotency_key: key.to_owned(),
            order_id: document["orderId"].as_str().map(str::to_owned),
            fault,
            at_ms: cakeshop_sqlite::now_millis(),
        });
    }
    let silence = |fault: PartnerFault| tokio::time::sleep(Duration::from_millis(fault.silence_ms));
    if let Some(fault) = fault {
        match fault.mode {
            FaultMode::Error => {
                let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                return error(status, "injected_fault", format!("{partner} fails on purpose"));
            }
            FaultMode::Timeout => {
                silence(fault).await;
                return error(
                    StatusCode::GATEWAY_TIMEOUT,
                    "injected_fault",
                    "the caller was left waiting",
                );
            }
            FaultMode::AcceptThenTimeout => {}
        }
    }
    let recorded = stand_in.store.record_partner_call(&partner, key, text).await;
    cakeshop_sqlite::faults::crash_point(|| format!("after-partner-call:{partner}"));
    if let Some(fault) = fault {
        silence(fault).await;
    }
    match recorded {
        Ok(repeat) => (
            StatusCode::ACCEPTED,
            Json(json!({ "accepted": true, "repeat": repeat })),
        )
            .into_response(),
        Err(e) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            cakeshop_ports::error_chain(&e),
        ),
    }
}

/// The fault as JSON, with the calls it failed so far.
fn fault_answer(fault: PartnerFault, injected: u64) -> Response {
    match serde_json::to_value(fault) {
        Ok(mut answer) => {
            answer["injected"] = injected.into();
            Json(answer).into_response()
        }
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            cakeshop_ports::error_chain(&e),
        ),
    }
}

async fn show_fault(State(stand_in): State<Arc<StandIn>>, Path(partner): Path<String>) -> Response {
    if !PARTNERS.contains(&partner.as_str()) {
        return unknown(&partner);
    }
    let (fault, injected) = stand_in.faults.get(&partner);
    fault_answer(fault, injected)
}

async fn set_fault(State(stand_in): State<Arc<StandIn>>, Path(partner): Path<String>, body: Bytes) -> Response {
    if !PARTNERS.contains(&partner.as_str()) {
        return unknown(&partner);
    }
    let fault: PartnerFault = match serde_json::from_slice(&body) {
        Ok(fault) => fault,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "malformed",
                format!("not a fault setting: {e}"),
            );
        }
    };
    let problems = fault.problems();
    if !problems.is_empty() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", problems.join("; "));
    }
    stand_in.faults.set(&partner, fault);
    tracing::warn!(partner, ?fault, "partner stand-in fails on purpose");
    fault_answer(fault, 0)
}

async fn clear_fault(State(stand_in): State<Arc<StandIn>>, Path(partner): Path<String>) -> Response {
    if !PARTNERS.contains(&partner.as_str()) {
        return unknown(&partner);
    }
    let (fault, injected) = stand_in.faults.clear(&partner);
    tracing::info!(partner, injected, "partner stand-in healed");
    fault_answer(fault, injected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_setting_fills_in_what_is_left_out() {
        let fault: PartnerFault = serde_json::from_str("{}").expect("empty setting");
        assert_eq!(
            fault,
            PartnerFault {
                failure_rate: 1.0,
                ..PartnerFault::NONE
            }
        );
        let fault: PartnerFault =
            serde_json::from_str(r#"{"failureRate":0.25,"mode":"acceptThenTimeout","silenceMs":100}"#)
                .expect("setting");
        assert_eq!(fault.mode, FaultMode::AcceptThenTimeout);
        assert_eq!((fault.failure_rate, fault.silence_ms, fault.status), (0.25, 100, 503));
        assert!(
            serde_json::from_str::<PartnerFault>(r#"{"rate":1}"#).is_err(),
            "unknown fields are refused"
        );
    }

    #[test]
    fn out_of_range_settings_are_named() {
        let fault = PartnerFault {
            failure_rate: 1.5,
            status: 302,
            silence_ms: LONGEST_SILENCE_MS + 1,
            ..PartnerFault::NONE
        };
        assert_eq!(fault.problems().len(), 3, "{:?}", fault.problems());
        assert!(PartnerFault::unavailable(0.2).problems().is_empty());
    }

    #[test]
    fn the_failure_rate_decides_how_many_calls_fail() {
        let faults = PartnerFaults::default();
        assert!(
            (0..100).all(|_| faults.strike("delivery").is_none()),
            "healthy by default"
        );

        faults.set("delivery", PartnerFault::unavailable(1.0));
        assert!((0..100).all(|_| faults.strike("delivery").is_some()));
        assert_eq!(faults.get("delivery").1, 100);
        assert!(faults.strike("customer-service").is_none(), "one partner at a time");

        faults.set("delivery", PartnerFault::unavailable(0.3));
        let failed = (0..2_000).filter(|_| faults.strike("delivery").is_some()).count();
        assert!((450..750).contains(&failed), "{failed} of 2000 at 0.3");

        assert_eq!(faults.clear("delivery").1, failed as u64);
        assert!(faults.strike("delivery").is_none(), "healed");
        assert_eq!(
            PartnerFaults::everywhere(PartnerFault::unavailable(1.0))
                .get("customer-service")
                .0
                .failure_rate,
            1.0
        );
    }
}
