//! `cakeshop store-order` (hidden; tools/lambda-check uses it): on DynamoDB at AWS_ENDPOINT_URL,
//! makes the order table as `cakeshop dev --backend aws --provision` does, and stores an order
//! at a given step of its journey through `DynamoOrders` itself: created, then each later step
//! as the function that takes it would write it, each event's outbox mark cleared as its
//! publisher clears it, except the one a crash is to have left unpublished. So a seeded order
//! is exactly what the adapter writes (the status index's key, the outbox), not a copy of it.

use anyhow::{Context, bail};
use cakeshop_aws::dynamodb::order_item::{ORDER_ID, order_id_key};
use cakeshop_aws::{AwsClients, DynamoOrders};
use cakeshop_domain::{EventKind, Order, Step, Timestamp};
use cakeshop_ports::{CreateOutcome, OrderRepository, Outbox, StepOutcome, TransitionOutcome};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct StoreOrderArgs {
    /// The order table's name.
    #[arg(long)]
    table: String,
    /// First create the table (keys, indexes, billing as `cakeshop_aws::dynamodb::order_table`) if it is
    /// missing.
    #[arg(long)]
    create_table: bool,
    /// The order as placed, as JSON (the `order` of an `order_placed` event). Replaces any
    /// stored order with its id.
    #[arg(long)]
    order: Option<PathBuf>,
    /// A later step and when it happened, e.g. `fulfilled=2026-11-20T13:30:00Z`; in journey
    /// order, repeated.
    #[arg(long = "step", value_parser = step_at)]
    steps: Vec<(Step, Timestamp)>,
    /// The event whose outbox mark stays, as if the function crashed before publishing it,
    /// e.g. `order_fulfilled`.
    #[arg(long, value_parser = event_kind)]
    unpublished: Option<EventKind>,
}

pub async fn run(args: &StoreOrderArgs) -> anyhow::Result<()> {
    let aws = AwsClients::load().await;
    let dynamodb = aws.dynamodb();
    if args.create_table && dynamodb.describe_table().table_name(&args.table).send().await.is_err() {
        cakeshop_aws::dynamodb::order_table::define(dynamodb.create_table().table_name(&args.table))?
            .send()
            .await
            .with_context(|| format!("creating table {}", args.table))?;
    }
    let Some(path) = &args.order else {
        return Ok(());
    };
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let order: Order = serde_json::from_slice(&text).with_context(|| format!("{} is not an order", path.display()))?;
    let order = order.as_placed();
    let id = &order.order_id;
    // The adapter only ever creates an order once; seeding again starts from nothing.
    dynamodb
        .delete_item()
        .table_name(&args.table)
        .key(ORDER_ID, order_id_key(id))
        .send()
        .await
        .with_context(|| format!("deleting order {id}"))?;
    let orders = DynamoOrders::new(dynamodb, args.table.clone());
    // Seeded orders take their day's count like any other, without a limit of their own.
    if orders.create(&order, cakeshop_domain::MAX_DAILY_CAPACITY).await? != CreateOutcome::Created {
        bail!("order {id} was there again right after it was deleted");
    }
    if args.unpublished != Some(EventKind::OrderPlaced) {
        orders.mark_published(id, EventKind::OrderPlaced).await?;
    }
    let mut status = order.status;
    for &(step, at) in &args.steps {
        match status.next().filter(|next| next.entry_step() == step) {
            Some(next) => {
                let TransitionOutcome::Applied(_) = orders.transition(id, status, next, at).await? else {
                    bail!("order {id} could not go from {status} to {next}");
                };
                status = next;
                if let Some(kind) = EventKind::announcing(next).filter(|&kind| args.unpublished != Some(kind)) {
                    orders.mark_published(id, kind).await?;
                }
            }
            None => {
                let StepOutcome::Recorded(_) = orders.record_step(id, step, at).await? else {
                    bail!("order {id} could not record {step}");
                };
            }
        }
    }
    println!("order {id} stored: {status}, {} step(s) after placed", args.steps.len());
    Ok(())
}

fn step_at(text: &str) -> Result<(Step, Timestamp), String> {
    let (step, at) = text.split_once('=').ok_or("expected STEP=RFC3339 TIME")?;
    let step = Step::parse(step).ok_or_else(|| format!("unknown step {step:?}"))?;
    let at = Timestamp::parse(at).map_err(|error| format!("{at:?}: {error}"))?;
    Ok((step, at))
}

fn event_kind(text: &str) -> Result<EventKind, String> {
    EventKind::parse(text).ok_or_else(|| format!("unknown event kind {text:?}"))
}
