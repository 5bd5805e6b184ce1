//! The console's buttons: redrive a dead-letter queue or replay an on-failure destination (the
//! same operations as `cakeshop dlq redrive`), and set or heal a partner stand-in's fault.
//! Each answers `303 See Other` back to the page it was pressed on. Forms another site's page
//! makes the browser post never get here: the operator listener refuses them
//! (`crate::operator`).

use super::Console;
use crate::dead_letters::{self, RedriveError};
use crate::partners::{FaultMode, PARTNERS, PartnerFault};
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;
use std::collections::HashMap;
use std::sync::Arc;

fn fields(body: &Bytes) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Back to the console page the form came from; anywhere else is the overview.
fn back_to(fields: &HashMap<String, String>) -> Redirect {
    let back = fields.get("back").map(String::as_str).unwrap_or_default();
    let safe = back.starts_with("/_local/") && !back.contains("//") && !back.contains('\\');
    Redirect::to(if safe { back } else { "/_local/" })
}

pub async fn redrive(State(console): State<Arc<Console>>, body: Bytes) -> Response {
    if !console.local {
        return console.problem(
            StatusCode::CONFLICT,
            "Not here",
            "with --backend aws the dead letters are in SQS: redrive them there",
        );
    }
    let fields = fields(&body);
    let queue = fields.get("queue").map(String::as_str).unwrap_or_default();
    match dead_letters::redrive(&console.wiring, &console.store, &console.functions, queue).await {
        Ok(report) => {
            tracing::info!(
                queue,
                replayed = report.replayed,
                failed = report.failed,
                expired = report.expired,
                "redriven from the console"
            );
            back_to(&fields).into_response()
        }
        Err(error @ RedriveError::NotADeadLetterQueue(..)) => {
            console.problem(StatusCode::BAD_REQUEST, "Nothing to redrive", &error.to_string())
        }
        Err(error) => console.problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The redrive failed",
            &cakeshop_ports::error_chain(&error),
        ),
    }
}

/// The partner the form names, or why there is none.
fn partner_of(fields: &HashMap<String, String>) -> Result<&'static str, String> {
    let partner = fields.get("partner").map(String::as_str).unwrap_or_default();
    PARTNERS
        .iter()
        .copied()
        .find(|p| *p == partner)
        .ok_or_else(|| format!("no partner {partner:?}; there are {}", PARTNERS.join(", ")))
}

/// A partner form's fields and the partner it names, or the refusal (boxed: it is large).
fn partner_form(console: &Console, body: &Bytes) -> Result<(&'static str, HashMap<String, String>), Box<Response>> {
    let fields = fields(body);
    match partner_of(&fields) {
        Ok(partner) => Ok((partner, fields)),
        Err(message) => Err(Box::new(console.problem(
            StatusCode::NOT_FOUND,
            "No such partner",
            &message,
        ))),
    }
}

pub async fn set_fault(State(console): State<Arc<Console>>, body: Bytes) -> Response {
    let (partner, fields) = match partner_form(&console, &body) {
        Ok(form) => form,
        Err(refused) => return *refused,
    };
    let mut problems = Vec::new();
    let failure_rate = match fields.get("failureRate").map(|r| r.parse::<f64>()) {
        Some(Ok(rate)) => rate,
        _ => {
            problems.push("failureRate must be a number from 0 to 1".to_owned());
            0.0
        }
    };
    let mode = match fields.get("mode").map(String::as_str) {
        Some("error") => FaultMode::Error,
        Some("timeout") => FaultMode::Timeout,
        Some("acceptThenTimeout") => FaultMode::AcceptThenTimeout,
        other => {
            problems.push(format!(
                "mode must be error, timeout or acceptThenTimeout, not {other:?}"
            ));
            FaultMode::Error
        }
    };
    let status = match fields.get("status").map(|s| s.parse::<u16>()) {
        Some(Ok(status)) => status,
        None => 503,
        Some(Err(_)) => {
            problems.push("status must be a number from 400 to 599".to_owned());
            503
        }
    };
    let fault = PartnerFault {
        failure_rate,
        mode,
        status,
        ..PartnerFault::unavailable(1.0)
    };
    problems.extend(fault.problems());
    if !problems.is_empty() {
        return console.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "That fault cannot be set",
            &problems.join("; "),
        );
    }
    console.faults.set(partner, fault);
    tracing::warn!(
        partner,
        ?fault,
        "partner stand-in fails on purpose (set from the console)"
    );
    Redirect::to("/_local/#partners").into_response()
}

pub async fn heal(State(console): State<Arc<Console>>, body: Bytes) -> Response {
    let partner = match partner_form(&console, &body) {
        Ok((partner, _)) => partner,
        Err(refused) => return *refused,
    };
    let (_, injected) = console.faults.clear(partner);
    tracing::info!(partner, injected, "partner stand-in healed from the console");
    Redirect::to("/_local/#partners").into_response()
}
