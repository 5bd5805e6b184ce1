//! `cakeshop seed`: fill a store with many realistic orders, to see how the shop behaves with
//! a large table (`cakeshop bench` on a seeded data dir). Refuses a store that already holds
//! orders unless told to add to them, so a real shop's data is not mixed with made-up orders
//! by accident.

use anyhow::{Context, bail};
use cakeshop_sqlite::seed::{RealisticOrders, count_orders, has_orders, seed_orders};
use cakeshop_sqlite::{STORE_FILE, Store};
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct SeedArgs {
    /// How many orders to write.
    #[arg(long)]
    orders: usize,
    /// The data dir of the store to fill (as `cakeshop dev --data-dir`).
    #[arg(long, default_value = "./.cakeshop")]
    data_dir: PathBuf,
    /// Add to a store that already holds orders.
    #[arg(long)]
    append: bool,
    /// Seconds between two orders' creation times; the newest is placed now.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    spacing_seconds: u32,
}

pub fn run(args: &SeedArgs) -> anyhow::Result<()> {
    let _lock = cakeshop_sqlite::DataDirLock::acquire(&args.data_dir, "cakeshop seed")?;
    let store =
        Store::open(&args.data_dir, 4).with_context(|| format!("opening the store in {}", args.data_dir.display()))?;
    if !args.append && has_orders(&store)? {
        bail!(
            "{} already holds orders; pass --append to add {} more, or seed an empty data dir",
            args.data_dir.display(),
            args.orders
        );
    }
    let orders = RealisticOrders::ending_now(args.orders, i64::from(args.spacing_seconds) * 1000);
    let started = Instant::now();
    let written = seed_orders(&store, args.orders, |n| orders.order(n)).context("writing the orders")?;
    let took = started.elapsed();
    let total = count_orders(&store)?;
    let size = store_size(&store)?;
    println!(
        "seeded {written} orders in {:.1} s ({:.0} orders/s); the store holds {total} orders in {:.1} MiB ({})",
        took.as_secs_f64(),
        written as f64 / took.as_secs_f64().max(1e-9),
        size as f64 / (1024.0 * 1024.0),
        store.path().display(),
    );
    Ok(())
}

/// The database file and its write-ahead log, if one is left.
fn store_size(store: &Store) -> anyhow::Result<u64> {
    let file = store.path();
    let mut size = std::fs::metadata(file)
        .with_context(|| format!("reading the size of {}", file.display()))?
        .len();
    let wal = file.with_file_name(format!("{STORE_FILE}-wal"));
    size += std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0);
    Ok(size)
}
