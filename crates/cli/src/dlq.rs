//! `cakeshop dlq list|redrive`, on the local store (whether or not `cakeshop dev` is running).

use anyhow::Context;
use cakeshop_local::dead_letters::{self, DeadLetterKind};
use cakeshop_local::serverless::read_serverless_yml;
use cakeshop_local::{DevOptions, offline_functions};
use cakeshop_sqlite::Store;
use serde_json::json;

pub fn list(options: &DevOptions, as_json: bool) -> anyhow::Result<()> {
    let wiring = read_serverless_yml(&options.config)?;
    let store = Store::open(&options.data_dir, options.stream_shards).context("opening the store")?;
    let found = dead_letters::list(&wiring, &store)?;
    if as_json {
        let queues: Vec<_> = found
            .iter()
            .map(|d| {
                json!({
                    "queue": d.queue,
                    "kind": describe(&d.kind),
                    "messages": d.messages.iter().map(|m| json!({
                        "messageId": m.message_id,
                        "body": serde_json::from_str::<serde_json::Value>(&m.body).unwrap_or_else(|_| m.body.clone().into()),
                        "sentMs": m.sent_ms,
                        // An SQS dead letter keeps the receives it took to give up on it.
                        "receiveCount": m.receive_count,
                        "source": m.dead_letter_source,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&queues)?);
        return Ok(());
    }
    for dead in &found {
        println!(
            "{} ({}): {} message(s)",
            dead.queue,
            describe(&dead.kind),
            dead.messages.len()
        );
        for message in &dead.messages {
            let body: String = message.body.chars().take(160).collect();
            println!("  {}  {}", message.message_id, body);
        }
    }
    Ok(())
}

pub async fn redrive(options: &DevOptions, queue: &str) -> anyhow::Result<()> {
    let wiring = read_serverless_yml(&options.config)?;
    let store = Store::open(&options.data_dir, options.stream_shards).context("opening the store")?;
    let functions = offline_functions(options, &wiring, &store)?;
    let report = dead_letters::redrive(&wiring, &store, &functions, queue).await?;
    println!(
        "{queue}: {} replayed, {} failed again, {} no longer in the stream",
        report.replayed, report.failed, report.expired
    );
    if report.failed > 0 {
        anyhow::bail!("{} could not be replayed; they stay in {queue}", report.failed);
    }
    Ok(())
}

fn describe(kind: &DeadLetterKind) -> String {
    match kind {
        DeadLetterKind::QueueDeadLetters { source } => format!("dead letters of {source}"),
        DeadLetterKind::StreamFailures { function } => format!("stream failures of {function}"),
    }
}
