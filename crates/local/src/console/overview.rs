//! `/_local/`: every function with its trigger and recent invocations, the shop's metrics, the
//! stream's shards and consumers, the queues, the dead letters, the partners and the mailbox; and
//! `/_local/functions/{name}`, one function's recent invocations record by record.

use super::Console;
use super::view::{clock, order_link, percent, shortened, took};
use crate::dead_letters::{self, DeadLetterKind};
use crate::kinesis::shard_id;
use crate::lambda::invocations::{Attempt, Invocation, Outcome, Trigger as Invoked};
use crate::partners::{FaultMode, PARTNERS};
use crate::serverless::{Function, Trigger, Wiring};
use axum::extract::{Path, State};
use axum::response::Response;
use cakeshop_ports::metrics::Unit;
use cakeshop_sqlite::{LocalMailer, LocalQueue, LocalStream, StoreError};
use http::StatusCode;
use maud::{Markup, html};
use std::sync::Arc;

const RECENT: usize = 25;

pub async fn overview(State(console): State<Arc<Console>>) -> Response {
    match overview_body(&console) {
        Ok(body) => console.page("The shop, running", body),
        Err(error) => console.unreadable(&error),
    }
}

fn overview_body(console: &Console) -> Result<Markup, StoreError> {
    let stream = if console.local {
        Some(stream_section(console)?)
    } else {
        None
    };
    let queues = if console.local {
        Some(queues_section(console)?)
    } else {
        None
    };
    let dead = if console.local {
        Some(dead_letters_section(console)?)
    } else {
        None
    };
    let mail = if console.local {
        Some(mailbox_section(console)?)
    } else {
        None
    };
    let elsewhere = html! { p.muted { "With --backend aws this lives in AWS: see it with the AWS console or CLI." } };
    Ok(html! {
        section aria-labelledby="functions" {
            h2 #functions { "Functions" }
            (functions_table(console))
            h3 { "Latest invocations" }
            (invocations_table(&console.functions.invocations().latest(RECENT, |_| true), true))
        }
        section aria-labelledby="metrics" {
            h2 #metrics { "Metrics" }
            (metrics_section(console))
        }
        section aria-labelledby="stream" {
            h2 #stream { "Stream " code { (console.wiring.stream.logical_id) } }
            @match stream { Some(section) => (section), None => (elsewhere) }
        }
        section aria-labelledby="queues" {
            h2 #queues { "Queues" }
            @match queues { Some(section) => (section), None => (elsewhere) }
        }
        section aria-labelledby="dead-letters" {
            h2 #dead-letters { "Dead letters and on-failure destinations" }
            @match dead { Some(section) => (section), None => (elsewhere) }
        }
        section aria-labelledby="partners" {
            h2 #partners { "Partner stand-ins" }
            (partners_section(console)?)
        }
        section aria-labelledby="mailbox" {
            h2 #mailbox { "Mailbox" }
            @match mail { Some(section) => (section), None => (elsewhere) }
        }
    })
}

/// What the functions recorded, as the dashboard on AWS graphs it (namespace Cakeshop).
fn metrics_section(console: &Console) -> Markup {
    let series = console.functions.metrics().series();
    html! {
        @if series.is_empty() {
            p.muted { "Nothing recorded yet: orders placed and cancelled, the time to the baker's email and to ready, partner calls that failed." }
        } @else {
            div.scroll { table {
                thead { tr {
                    th scope="col" { "Metric" } th.number scope="col" { "Count" }
                    th.number scope="col" { "p50" } th.number scope="col" { "p99" } th.number scope="col" { "Maximum" }
                    th scope="col" { "Latest order" }
                } }
                tbody {
                    @for (key, series) in &series {
                        @let timing = series.unit == Unit::Milliseconds;
                        tr {
                            td { (key.name) @if let Some((name, value)) = key.dimension { " (" (name) " " (value) ")" } }
                            td.number { (series.count) }
                            @for p in [50, 99, 100] {
                                td.number { @if timing { @if let Some(ms) = series.percentile(p) { (took(i64::try_from(ms).unwrap_or(i64::MAX))) } } }
                            }
                            td { (order_link(&series.last_order)) }
                        }
                    }
                }
            } }
            p.muted { "Since the shop started; percentiles of the latest " (crate::cloudwatch::VALUES_KEPT) " values." }
        }
    }
}

/// The trigger as `serverless.yml` declares it, in words.
pub fn trigger_text(function: &Function, wiring: &Wiring) -> String {
    if !function.routes.is_empty() {
        let routes: Vec<String> = function.routes.iter().map(|r| r.route_key()).collect();
        return format!("HTTP API: {}", routes.join(", "));
    }
    match &function.trigger {
        Some(Trigger::Stream(mapping)) => {
            let mut text = format!(
                "Kinesis {}, batches of {}",
                wiring.stream.logical_id, mapping.batch_size
            );
            if !mapping.filters.is_empty() {
                text.push_str(&format!(", {} filter(s)", mapping.filters.len()));
            }
            if mapping.bisect_on_error {
                text.push_str(", bisect on error");
            }
            if let Some(retries) = mapping.maximum_retry_attempts {
                text.push_str(&format!(", {retries} retries"));
            }
            if let Some(queue) = &mapping.on_failure_queue {
                text.push_str(&format!(", on failure to {queue}"));
            }
            text
        }
        Some(Trigger::Queue(mapping)) => format!("SQS {}, batches of {}", mapping.queue, mapping.batch_size),
        Some(Trigger::Schedule(schedule)) => format!("schedule, every {}", took(schedule.every.as_millis() as i64)),
        None => "none".into(),
    }
}

fn functions_table(console: &Console) -> Markup {
    html! {
        div.scroll { table {
            thead { tr {
                th scope="col" { "Function" } th scope="col" { "Trigger" }
                th.number scope="col" { "Invocations" } th.number scope="col" { "Failed" }
            } }
            tbody {
                @for function in &console.wiring.functions {
                    @let (all, failed) = console.functions.invocations().counts(&function.name);
                    tr {
                        td.nowrap { a href={ "/_local/functions/" (percent(&function.name)) } { (function.name) } }
                        td { (trigger_text(function, &console.wiring)) }
                        td.number { (all) }
                        td.number { @if failed > 0 { span.bad { (failed) } } @else { "0" } }
                    }
                }
            }
        } }
        p.muted { "Counts are of the latest " (crate::lambda::invocations::KEPT) " invocations, kept in memory." }
    }
}

pub fn outcome_text(outcome: &Outcome) -> Markup {
    match outcome {
        Outcome::Answered(status) if *status >= 500 => html! { span.bad { (status) } },
        Outcome::Answered(status) => html! { span.good { (status) } },
        Outcome::Succeeded => html! { span.good { "succeeded" } },
        Outcome::PartlyFailed(ids) => html! { span.bad { (ids.len()) " batch item failure(s)" } },
        Outcome::Failed(message) => html! { span.bad { "failed: " (shortened(message, 160)) } },
    }
}

pub fn attempt_text(attempt: Attempt) -> &'static str {
    match attempt {
        Attempt::First => "",
        Attempt::Retry => "retry",
        Attempt::Bisect => "bisect",
    }
}

pub fn invoked_text(invocation: &Invocation) -> String {
    match &invocation.trigger {
        Invoked::Http { method, path } => format!("{method} {path}"),
        Invoked::Stream { shard } => format!("{} record(s) of {shard}", invocation.items.len()),
        Invoked::Queue => {
            let receives = invocation
                .items
                .iter()
                .filter_map(|i| i.receive_count)
                .max()
                .unwrap_or(1);
            format!("{} message(s), received up to {receives} times", invocation.items.len())
        }
        Invoked::Schedule => "scheduled".into(),
    }
}

fn invocations_table(invocations: &[Invocation], with_function: bool) -> Markup {
    html! {
        @if invocations.is_empty() {
            p.muted { "No invocations yet." }
        } @else {
            div.scroll { table {
                thead { tr {
                    th scope="col" { "At" }
                    @if with_function { th scope="col" { "Function" } }
                    th scope="col" { "Event" } th scope="col" { "Orders" } th scope="col" { "Outcome" }
                    th scope="col" { "Attempt" } th.number scope="col" { "Took" }
                } }
                tbody {
                    @for invocation in invocations {
                        tr {
                            td.mono { (clock(invocation.started_ms)) }
                            @if with_function { td { (invocation.function) } }
                            td { (invoked_text(invocation)) }
                            td { @for order in orders_of(invocation) { (order_link(order)) " " } }
                            td { (outcome_text(&invocation.outcome)) }
                            td { (attempt_text(invocation.attempt)) }
                            td.number { (took(invocation.duration_ms as i64)) }
                        }
                    }
                }
            } }
        }
    }
}

fn orders_of(invocation: &Invocation) -> Vec<&str> {
    let mut orders: Vec<&str> = invocation.items.iter().filter_map(|i| i.order_id.as_deref()).collect();
    orders.dedup();
    orders.truncate(5);
    orders
}

/// The consumers of the stream: the functions it triggers.
pub fn stream_consumers(wiring: &Wiring) -> impl Iterator<Item = &Function> {
    wiring
        .functions
        .iter()
        .filter(|f| matches!(f.trigger, Some(Trigger::Stream(_))))
}

fn stream_section(console: &Console) -> Result<Markup, StoreError> {
    let stream = LocalStream::new(console.store.clone());
    let consumers: Vec<&Function> = stream_consumers(&console.wiring).collect();
    let mut rows = Vec::new();
    for shard in 0..stream.shards() {
        let latest = stream.latest(shard)?;
        let mut behind = Vec::new();
        for consumer in &consumers {
            let checkpoint = stream.checkpoint(&consumer.name, shard)?;
            behind.push((checkpoint, stream.count_after(shard, checkpoint)?));
        }
        rows.push((shard, latest, behind));
    }
    Ok(html! {
        p.muted { "Each consumer's checkpoint is the last sequence number it finished; behind counts the records after it (those its filter skips included)." }
        div.scroll { table {
            thead { tr {
                th scope="col" { "Shard" } th.number scope="col" { "Latest sequence number" }
                @for consumer in &consumers { th.number scope="col" { (consumer.name) " checkpoint / behind" } }
            } }
            tbody {
                @for (shard, latest, behind) in &rows {
                    tr {
                        td.mono { (shard_id(*shard)) }
                        td.number { (latest) }
                        @for (checkpoint, count) in behind {
                            td.number {
                                (checkpoint) " / "
                                @if *count > 0 { span.wait { (count) } } @else { span.good { "0" } }
                            }
                        }
                    }
                }
            }
        } }
    })
}

fn queues_section(console: &Console) -> Result<Markup, StoreError> {
    let mut rows = Vec::new();
    for spec in console.wiring.queues.values() {
        rows.push((
            spec,
            LocalQueue::new(console.store.clone(), spec.logical_id.clone()).counts()?,
        ));
    }
    Ok(html! {
        div.scroll { table {
            thead { tr {
                th scope="col" { "Queue" } th.number scope="col" { "Waiting" } th.number scope="col" { "In flight" }
                th.number scope="col" { "Most receives" } th.number scope="col" { "Visibility timeout" } th scope="col" { "Redrive" }
            } }
            tbody {
                @for (spec, counts) in &rows {
                    tr {
                        td.mono { (spec.logical_id) }
                        td.number { (counts.visible) }
                        td.number { (counts.in_flight) }
                        td.number { (counts.most_receives) }
                        td.number { (spec.visibility_timeout_seconds) " s" }
                        td { @if let Some(redrive) = &spec.redrive {
                            "to " code { (redrive.dead_letter_queue) } " after " (redrive.max_receive_count) " receives"
                        } }
                    }
                }
            }
        } }
    })
}

fn dead_letters_section(console: &Console) -> Result<Markup, StoreError> {
    let all = dead_letters::list(&console.wiring, &console.store)?;
    Ok(html! {
        @for dead in &all {
            @let (what, action) = match &dead.kind {
                DeadLetterKind::QueueDeadLetters { source } => (format!("dead-letter queue of {source}"), "Redrive to the source queue"),
                DeadLetterKind::StreamFailures { function } => (format!("on-failure destination of {function}'s stream mapping"), "Replay the records to the function"),
            };
            h3 { code { (dead.queue) } " " span.muted { "(" (what) ")" } }
            @if dead.messages.is_empty() {
                p.good { "Empty." }
            } @else {
                div.scroll { table {
                    thead { tr {
                        th scope="col" { "Message" } th scope="col" { "Order" } th.number scope="col" { "Receives" }
                        th scope="col" { "Sent" } th scope="col" { "Body" }
                    } }
                    tbody {
                        @for message in &dead.messages {
                            tr {
                                td.mono { (shortened(&message.message_id, 13)) }
                                td { @if let Some(order) = crate::lambda::invocations::order_id_in(&message.body) { (order_link(&order)) } }
                                td.number { (message.receive_count) }
                                td.mono { (clock(message.sent_ms)) }
                                td.mono { (shortened(&message.body, 140)) }
                            }
                        }
                    }
                } }
                (redrive_button(&dead.queue, action, "/_local/#dead-letters"))
            }
        }
    })
}

/// The form that redrives (or replays) `queue`, coming back to `back`.
pub fn redrive_button(queue: &str, label: &str, back: &str) -> Markup {
    html! {
        form.inline method="post" action="/_local/console/redrive" {
            input type="hidden" name="queue" value=(queue);
            input type="hidden" name="back" value=(back);
            button type="submit" { (label) " (" (queue) ")" }
        }
    }
}

fn partners_section(console: &Console) -> Result<Markup, StoreError> {
    let mut parts = Vec::new();
    for partner in PARTNERS {
        let calls = console.store.latest_partner_calls(partner, 5)?;
        let failed: Vec<_> = console
            .faults
            .failed_calls(|c| c.partner == partner)
            .into_iter()
            .take(5)
            .collect();
        parts.push((partner, console.faults.get(partner), calls, failed));
    }
    Ok(html! {
        div.grid {
            @for (partner, (fault, injected), calls, failed) in &parts {
                div {
                    h3 { (partner) }
                    @if fault.failure_rate > 0.0 {
                        p.bad { "Failing " ((fault.failure_rate * 100.0).round()) " % of calls (" (fault_words(fault.mode, fault.status)) "); " (injected) " failed so far." }
                        form.inline method="post" action="/_local/console/heal" {
                            input type="hidden" name="partner" value=(partner);
                            button type="submit" { "Heal " (partner) }
                        }
                    } @else {
                        p.good { "Healthy: every call accepted." }
                    }
                    (fault_form(partner))
                    @if !failed.is_empty() {
                        p { "Latest failed calls:" }
                        ul { @for call in failed { li {
                            span.mono { (clock(call.at_ms)) } " " span.bad { (call.describe()) } " "
                            @if let Some(order) = &call.order_id { (order_link(order)) }
                        } } }
                    }
                    p { "Latest calls received (" a href={ "/_local/partners/" (partner) } { "all, as JSON" } "):" }
                    @if calls.is_empty() { p.muted { "None yet." } }
                    ul { @for call in calls { li {
                        span.mono { (clock(call.received_ms)) } " "
                        @if call.repeat { span.wait { "repeat " } }
                        @if let Some(order) = call.body["orderId"].as_str() { (order_link(order)) }
                    } } }
                }
            }
        }
    })
}

fn fault_words(mode: FaultMode, status: u16) -> String {
    match mode {
        FaultMode::Error => format!("answering {status}"),
        FaultMode::Timeout => "never answering".into(),
        FaultMode::AcceptThenTimeout => "acting, then never answering".into(),
    }
}

fn fault_form(partner: &str) -> Markup {
    let id = |field: &str| format!("{partner}-{field}");
    html! {
        form.fault method="post" action="/_local/console/fault" {
            input type="hidden" name="partner" value=(partner);
            div {
                label for=(id("rate")) { "Share failing" } br;
                select #(id("rate")) name="failureRate" {
                    option value="1" { "every call" }
                    option value="0.5" { "half" }
                    option value="0.2" { "a fifth" }
                }
            }
            div {
                label for=(id("mode")) { "How" } br;
                select #(id("mode")) name="mode" {
                    option value="error" { "error answer" }
                    option value="timeout" { "no answer" }
                    option value="acceptThenTimeout" { "act, then no answer" }
                }
            }
            div {
                label for=(id("status")) { "Status" } br;
                input #(id("status")) type="number" name="status" value="503" min="400" max="599";
            }
            button.secondary type="submit" { "Make " (partner) " fail" }
        }
    }
}

fn mailbox_section(console: &Console) -> Result<Markup, StoreError> {
    let emails = LocalMailer::new(console.store.clone()).latest(10)?;
    Ok(html! {
        @if emails.is_empty() {
            p.muted { "No email yet." }
        } @else {
            div.scroll { table {
                thead { tr {
                    th scope="col" { "Sent" } th scope="col" { "To" } th scope="col" { "Subject" } th scope="col" { "Order" }
                } }
                tbody {
                    @for email in &emails {
                        tr {
                            td.mono { (clock(email.sent_ms)) }
                            td { (email.to) }
                            td { a href={ "/_local/mail/" (email.seq) } { (email.subject) } }
                            td { (order_link(&email.order_id)) }
                        }
                    }
                }
            } }
            p { a href="/_local/mail" { "Every email, as JSON" } }
        }
    })
}

pub async fn function(State(console): State<Arc<Console>>, Path(name): Path<String>) -> Response {
    let Some(function) = console.wiring.function(&name) else {
        return console.problem(
            StatusCode::NOT_FOUND,
            "No such function",
            &format!("serverless.yml declares no function {name}"),
        );
    };
    let invocations = console.functions.invocations().latest(100, |i| i.function == name);
    console.page(
        &format!("Function {name}"),
        html! {
            p { "Trigger: " (trigger_text(function, &console.wiring)) }
            p { "Timeout: " (function.timeout_seconds) " s" }
            (invocations_table(&invocations, false))
        },
    )
}
