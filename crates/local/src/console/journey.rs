//! `/_local/orders/{orderId}`: one order's journey as one timeline, from the HTTP request that
//! placed it through the store, the stream, each consumer, the queues, the partners and the
//! emails, each hop with its time and how long it took; and whether anything of it is still
//! waiting or dead-lettered (with the redrive at hand).

use super::Console;
use super::overview::{attempt_text, invoked_text, outcome_text, redrive_button, stream_consumers};
use super::view::{clock, percent, shortened, took};
use crate::dead_letters::{self, DeadLetterKind};
use crate::kinesis::{StreamFailure, shard_id};
use crate::lambda::invocations::{Invocation, Trigger as Invoked};
use crate::serverless::Trigger;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use cakeshop_domain::OrderId;
use cakeshop_ports::OrderRepository;
use cakeshop_sqlite::{LocalMailer, LocalOrders, LocalStream, StoreError, StreamRecord, parse_sequence_number};
use http::StatusCode;
use maud::{Markup, html};
use std::sync::Arc;

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Find {
    #[serde(default)]
    order_id: String,
}

/// The search form's target: the journey of the order named.
pub async fn find(State(console): State<Arc<Console>>, Query(find): Query<Find>) -> Response {
    let order_id = find.order_id.trim();
    if order_id.is_empty() {
        return console.problem(
            StatusCode::BAD_REQUEST,
            "Which order?",
            "Give an order id to see its journey.",
        );
    }
    Redirect::to(&format!("/_local/orders/{}", percent(order_id))).into_response()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Done,
    Failed,
    /// Something of the order is still on its way: its next hop has not happened yet.
    Waiting,
}

impl Progress {
    fn class(self) -> &'static str {
        match self {
            Progress::Done => "good",
            Progress::Failed => "bad",
            Progress::Waiting => "wait",
        }
    }
}

struct Hop {
    at_ms: i64,
    took_ms: Option<i64>,
    state: Progress,
    /// What kind of hop: "HTTP request", "Store write", "Stream record", …
    kind: &'static str,
    what: Markup,
    /// Still true now (a message waiting or dead-lettered), not only then.
    current: bool,
}

pub async fn journey(State(console): State<Arc<Console>>, Path(order_id): Path<String>) -> Response {
    let Ok(id) = OrderId::parse(&order_id) else {
        return console.problem(
            StatusCode::BAD_REQUEST,
            "Not an order id",
            &format!("{order_id:?} is not an order id: they are letters, digits and dashes, as POST /order answers."),
        );
    };
    let mut hops = invocation_hops(&console, &order_id);
    hops.extend(partner_hops(&console, &order_id));
    let mut status = None;
    let mut trace = None;
    if console.local {
        match LocalOrders::new(console.store.clone()).get(&id).await {
            Ok(Some(order)) => {
                status = Some(order.status.to_string());
                trace = order.trace_id.map(|id| id.to_string());
                for entry in &order.history {
                    hops.push(Hop {
                        at_ms: entry.at.unix_millis(),
                        took_ms: None,
                        state: Progress::Done,
                        kind: "Store write",
                        what: html! { "the order's step " strong { (entry.step.to_string()) } " recorded" },
                        current: false,
                    });
                }
            }
            Ok(None) => {}
            Err(error) => {
                return console.problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The store could not be read",
                    &cakeshop_ports::error_chain(&error),
                );
            }
        }
        match local_hops(&console, &order_id) {
            Ok(found) => hops.extend(found),
            Err(error) => return console.unreadable(&error),
        }
    }
    hops.sort_by_key(|hop| (hop.at_ms, flow_rank(hop.kind)));
    console.page(
        &format!("Journey of order {order_id}"),
        html! {
            (summary(&hops, status.as_deref(), trace.as_deref(), console.local))
            (timeline(&hops))
        },
    )
}

/// Where a kind of hop comes in an order's flow, for hops of the same millisecond: a request
/// before its write, a record before the consumer that reads it, a call before what follows.
fn flow_rank(kind: &str) -> u8 {
    match kind {
        "HTTP request" | "Scheduled run" => 0,
        "Stream record" | "Queue message" => 1,
        "Stream consumer" | "Queue consumer" => 2,
        "Partner call" | "Email" => 3,
        "Store write" => 4,
        _ => 5,
    }
}

fn summary(hops: &[Hop], status: Option<&str>, trace: Option<&str>, local: bool) -> Markup {
    let stuck = hops.iter().filter(|h| h.current && h.state == Progress::Failed).count();
    let waiting = hops
        .iter()
        .filter(|h| h.current && h.state == Progress::Waiting)
        .count();
    let (class, text) = if hops.is_empty() {
        (
            "bad",
            "Nothing is known of this order: no request, record, message, call or email names it.".to_owned(),
        )
    } else if stuck > 0 {
        (
            "bad",
            format!(
                "Stuck: {stuck} hop(s) dead-lettered or failed for good. Redrive them below once the cause is fixed."
            ),
        )
    } else if waiting > 0 {
        ("wait", format!("In progress: {waiting} hop(s) still on their way."))
    } else if !local {
        (
            "good",
            "Every invocation and partner call seen for this order succeeded.".to_owned(),
        )
    } else {
        (
            "good",
            "Complete: nothing for this order is waiting, in flight or dead-lettered.".to_owned(),
        )
    };
    html! {
        div class={ "summary " (class) } role="status" {
            p { strong { (text) } }
            @if let Some(status) = status { p { "The order's status: " strong { (status) } } }
            @if let Some(trace) = trace {
                p { "Its trace id, on every log line of its work: " code { (trace) } }
            }
        }
    }
}

fn timeline(hops: &[Hop]) -> Markup {
    let first = hops.first().map_or(0, |h| h.at_ms);
    html! {
        ol.timeline aria-label="The order's journey, oldest first" {
            @for hop in hops {
                li class=(hop.state.class()) {
                    span.when { (clock(hop.at_ms)) " (+" (took(hop.at_ms - first)) ")" }
                    span.hop { (hop.kind) }
                    (hop.what)
                    @if let Some(ms) = hop.took_ms { span.muted { " · took " (took(ms)) } }
                    @match hop.state {
                        Progress::Failed => { " " span.bad { "failed" } }
                        Progress::Waiting => { " " span.wait { "waiting" } }
                        Progress::Done => {}
                    }
                }
            }
        }
    }
}

fn invocation_hops(console: &Console, order_id: &str) -> Vec<Hop> {
    let invocations = console
        .functions
        .invocations()
        .latest(usize::MAX, |i| i.concerns(order_id));
    invocations
        .iter()
        .map(|invocation| invocation_hop(invocation, order_id))
        .collect()
}

fn invocation_hop(invocation: &Invocation, order_id: &str) -> Hop {
    let mine = invocation
        .items
        .iter()
        .find(|i| i.order_id.as_deref() == Some(order_id));
    let failed = match &invocation.trigger {
        Invoked::Http { .. } | Invoked::Schedule => invocation.outcome.is_failure(),
        _ => mine.is_some_and(|item| invocation.outcome.failed_item(&item.id)),
    };
    let kind = match invocation.trigger {
        Invoked::Http { .. } => "HTTP request",
        Invoked::Stream { .. } => "Stream consumer",
        Invoked::Queue => "Queue consumer",
        Invoked::Schedule => "Scheduled run",
    };
    let attempt = attempt_text(invocation.attempt);
    Hop {
        at_ms: invocation.started_ms,
        took_ms: Some(invocation.duration_ms as i64),
        state: if failed { Progress::Failed } else { Progress::Done },
        kind,
        what: html! {
            a href={ "/_local/functions/" (percent(&invocation.function)) } { (invocation.function) } ": "
            (invoked_text(invocation))
            @if let Some(receives) = mine.and_then(|item| item.receive_count) { ", this order's message on receive " (receives) }
            " → " (outcome_text(&invocation.outcome))
            @if !attempt.is_empty() { " (" (attempt) ")" }
        },
        current: false,
    }
}

fn partner_hops(console: &Console, order_id: &str) -> Vec<Hop> {
    let mut hops: Vec<Hop> = console
        .faults
        .failed_calls(|call| call.order_id.as_deref() == Some(order_id))
        .into_iter()
        .map(|call| Hop {
            at_ms: call.at_ms,
            took_ms: None,
            state: Progress::Failed,
            kind: "Partner call",
            what: html! { (call.partner) " " (call.describe()) " (key " code { (shortened(&call.idempotency_key, 24)) } ")" },
            current: false,
        })
        .collect();
    if let Ok(calls) = console.store.partner_calls_about(order_id) {
        hops.extend(calls.into_iter().map(|found| Hop {
            at_ms: found.call.received_ms,
            took_ms: None,
            state: Progress::Done,
            kind: "Partner call",
            what: html! {
                (found.partner) " received the call"
                @if found.call.repeat { " again (a repeat of its key: acknowledged, not acted on)" }
                " (key " code { (shortened(&found.call.idempotency_key, 24)) } ")"
            },
            current: false,
        }));
    }
    hops
}

/// What the embedded store holds of the order: its stream records (and which consumers have
/// read each), its messages in any queue, on-failure pointers to its records, its emails.
fn local_hops(console: &Console, order_id: &str) -> Result<Vec<Hop>, StoreError> {
    let stream = LocalStream::new(console.store.clone());
    let records = stream.records_with_key(order_id)?;
    let mut hops = Vec::new();
    for record in &records {
        hops.push(record_hop(console, &stream, record)?);
    }
    for found in console.store.queue_messages_about(order_id)? {
        let message = &found.message;
        let hop = match &message.dead_letter_source {
            Some(source) => Hop {
                at_ms: message.sent_ms,
                took_ms: None,
                state: Progress::Failed,
                kind: "Dead letter",
                what: html! {
                    "in " code { (found.queue) } " after " (message.receive_count) " receives from " code { (source) } " "
                    (redrive_button(&found.queue, "Redrive", &format!("/_local/orders/{}", percent(order_id))))
                },
                current: true,
            },
            None => Hop {
                at_ms: message.sent_ms,
                took_ms: None,
                state: Progress::Waiting,
                kind: "Queue message",
                what: html! {
                    "in " code { (found.queue) } ", "
                    @if found.in_flight { "in flight" } @else { "waiting to be received" }
                    ", received " (message.receive_count) " times so far"
                },
                current: true,
            },
        };
        hops.push(hop);
    }
    hops.extend(stream_failure_hops(console, order_id, &records)?);
    for email in LocalMailer::new(console.store.clone()).about(order_id)? {
        hops.push(Hop {
            at_ms: email.sent_ms,
            took_ms: None,
            state: Progress::Done,
            kind: "Email",
            what: html! { "to " (email.to) ": " a href={ "/_local/mail/" (email.seq) } { (email.subject) } },
            current: false,
        });
    }
    Ok(hops)
}

fn record_hop(console: &Console, stream: &LocalStream, record: &StreamRecord) -> Result<Hop, StoreError> {
    let kind = serde_json::from_slice::<serde_json::Value>(&record.data)
        .ok()
        .and_then(|data| data["type"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "record".into());
    let mut read_by = Vec::new();
    let mut waiting_for = Vec::new();
    for consumer in stream_consumers(&console.wiring) {
        let Some(Trigger::Stream(mapping)) = &consumer.trigger else {
            continue;
        };
        if !mapping.filters.is_empty()
            && !mapping
                .filters
                .iter()
                .any(|f| f.matches(&record.partition_key, &record.data))
        {
            continue;
        }
        if stream.checkpoint(&consumer.name, record.shard)? >= record.sequence {
            read_by.push(consumer.name.as_str());
        } else {
            waiting_for.push(consumer.name.as_str());
        }
    }
    Ok(Hop {
        at_ms: record.arrived_ms,
        took_ms: None,
        state: if waiting_for.is_empty() {
            Progress::Done
        } else {
            Progress::Waiting
        },
        kind: "Stream record",
        what: html! {
            strong { (kind) } " on " code { (shard_id(record.shard)) } ", sequence number " code { (record.sequence_number()) }
            @if !read_by.is_empty() { "; read by " (read_by.join(", ")) }
            @if !waiting_for.is_empty() { "; not yet read by " (waiting_for.join(", ")) }
        },
        current: !waiting_for.is_empty(),
    })
}

/// On-failure pointers whose range covers one of the order's records.
fn stream_failure_hops(console: &Console, order_id: &str, records: &[StreamRecord]) -> Result<Vec<Hop>, StoreError> {
    let mut hops = Vec::new();
    for dead in dead_letters::list(&console.wiring, &console.store)? {
        let DeadLetterKind::StreamFailures { function } = &dead.kind else {
            continue;
        };
        for message in &dead.messages {
            let Ok(failure) = serde_json::from_str::<StreamFailure>(&message.body) else {
                continue;
            };
            let start = parse_sequence_number(&failure.batch.start_sequence_number).unwrap_or(i64::MAX);
            let end = parse_sequence_number(&failure.batch.end_sequence_number).unwrap_or(i64::MIN);
            let covered = records
                .iter()
                .any(|r| shard_id(r.shard) == failure.batch.shard_id && (start..=end).contains(&r.sequence));
            if covered {
                hops.push(Hop {
                    at_ms: message.sent_ms,
                    took_ms: None,
                    state: Progress::Failed,
                    kind: "On-failure record",
                    what: html! {
                        (function) " gave up on its record (" (format!("{:?}", failure.request_context.condition)) ", "
                        (failure.request_context.approximate_invoke_count) " invocations); the pointer is in " code { (dead.queue) } " "
                        (redrive_button(&dead.queue, "Replay", &format!("/_local/orders/{}", percent(order_id))))
                    },
                    current: true,
                });
            }
        }
    }
    Ok(hops)
}
