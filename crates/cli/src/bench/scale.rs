//! Scale with data: the same requests against stores holding N orders already (loaded with
//! `cakeshop seed`), all served at once and measured in turns, to show that no request path
//! reads more as the table grows.

use super::load::{self, Pace, Target, Work};
use super::report::{Latency, ScalePoint};
use super::server::Shop;
use anyhow::{Context, Result, bail};
use futures::future::join_all;
use hdrhistogram::Histogram;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Each request is timed in turns: every store gets a slice of the time in each of `ROUNDS`
/// rounds, so that this machine's speed drifting during the run weighs on all of them alike.
const ROUNDS: u32 = 5;

/// A seeded store, served, with what has been measured on it so far.
struct Stored {
    orders: u64,
    shop: Shop,
    target: Arc<Target>,
    placed_ids: Arc<Vec<String>>,
    get_order: Histogram<u64>,
    view: Histogram<u64>,
    place: Histogram<u64>,
}

pub async fn measure(config: &Path, work_dir: &Path, sizes: &[u64], length: Duration) -> Result<Vec<ScalePoint>> {
    let mut stores = Vec::new();
    for &orders in sizes {
        stores.push(Stored::start(config, work_dir, orders, length).await?);
    }
    let slice = length / ROUNDS;
    for _ in 0..ROUNDS {
        for stored in &mut stores {
            let ids = Arc::clone(&stored.placed_ids);
            let path = move |n: usize| format!("/order/{}", ids[n % ids.len()]);
            let _ = stored.get_order.add(closed_loop(&stored.target, slice, path).await);
        }
    }
    for _ in 0..ROUNDS {
        for stored in &mut stores {
            let path = |_| "/orders?status=placed&limit=50".to_owned();
            let _ = stored.view.add(closed_loop(&stored.target, slice, path).await);
        }
    }
    for _ in 0..ROUNDS {
        for stored in &mut stores {
            let open = Pace::Open { per_second: 500.0 };
            let placed = load::run(Arc::clone(&stored.target), Work::Place, open, slice).await;
            let _ = stored.place.add(&placed.recorded.place);
        }
    }
    Ok(stores
        .into_iter()
        .map(|stored| ScalePoint {
            stored_orders: stored.orders,
            store_bytes: stored.shop.store_bytes(),
            get_order: Latency::of(&stored.get_order),
            open_orders_view: Latency::of(&stored.view),
            place_order: Latency::of(&stored.place),
        })
        .collect())
}

impl Stored {
    /// Seeds a store with `orders` orders, serves it, and places a few more (warming it up and
    /// giving `GET /order/{id}` orders to ask for).
    async fn start(config: &Path, work_dir: &Path, orders: u64, length: Duration) -> Result<Stored> {
        let data_dir = work_dir.join(format!("scale-{orders}"));
        let exe = std::env::current_exe()?;
        let seeded = std::process::Command::new(exe)
            .args(["seed", "--orders", &orders.to_string(), "--data-dir"])
            .arg(&data_dir)
            .output()
            .context("running cakeshop seed")?;
        if !seeded.status.success() {
            bail!("cakeshop seed failed: {}", String::from_utf8_lossy(&seeded.stderr));
        }
        let shop = Shop::start(config, &data_dir, &[], &[])?;
        let target = Arc::new(Target {
            http: super::client()?,
            base: shop.base.clone(),
            baker_key: shop.baker_key.clone(),
            feeds: super::feeds::Feeds::default(),
            mailbox: true,
        });
        load::make_room(&target).await?;
        let warm_up = Pace::Closed { customers: 8 };
        load::run(Arc::clone(&target), Work::Place, warm_up, length / 3).await;
        let placed_ids = Arc::new(placed_ids(&target).await?);
        Ok(Stored {
            orders,
            shop,
            target,
            placed_ids,
            get_order: histogram(),
            view: histogram(),
            place: histogram(),
        })
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::<u64>::new(3).unwrap_or_else(|_| unreachable!("3 figures is valid"))
}

/// Ids of orders waiting for the baker, from the baker's own view.
async fn placed_ids(target: &Target) -> Result<Vec<String>> {
    let view: serde_json::Value = target
        .http
        .get(format!("{}/orders?status=placed&limit=100", target.base))
        .bearer_auth(&target.baker_key)
        .send()
        .await?
        .json()
        .await?;
    let ids: Vec<String> = view["orders"]
        .as_array()
        .map(|orders| {
            orders
                .iter()
                .filter_map(|o| o["orderId"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if ids.is_empty() {
        bail!("the baker's view listed no placed orders: {view}");
    }
    Ok(ids)
}

/// Eight clients sending GETs back to back for `length`; latencies in microseconds.
async fn closed_loop(
    target: &Target,
    length: Duration,
    path: impl Fn(usize) -> String + Send + Sync + 'static,
) -> Histogram<u64> {
    let path = Arc::new(path);
    let deadline = Instant::now() + length;
    let clients = (0..8).map(|client| {
        let (http, base, key, path) = (
            target.http.clone(),
            target.base.clone(),
            target.baker_key.clone(),
            Arc::clone(&path),
        );
        tokio::spawn(async move {
            let mut histogram = histogram();
            let mut n = client;
            while Instant::now() < deadline {
                let started = Instant::now();
                let ok = http
                    .get(format!("{base}{}", path(n)))
                    .bearer_auth(&key)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ok {
                    let _ = histogram.record(started.elapsed().as_micros().max(1) as u64);
                }
                n += 8;
            }
            histogram
        })
    });
    let mut total = histogram();
    for histogram in join_all(clients).await.into_iter().flatten() {
        let _ = total.add(histogram);
    }
    total
}
