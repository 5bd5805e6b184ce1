//! Scale with data: the same requests against a store holding N orders already (loaded with
//! `cakeshop seed`), to show that no request path reads more as the table grows.

use super::load::{self, Pace, Target, Work};
use super::report::{Latency, ScalePoint};
use super::server::Shop;
use anyhow::{Context, Result, bail};
use futures::future::join_all;
use hdrhistogram::Histogram;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub async fn measure(config: &Path, work_dir: &Path, stored: u64, length: Duration) -> Result<ScalePoint> {
    let data_dir = work_dir.join(format!("scale-{stored}"));
    let exe = std::env::current_exe()?;
    let seeded = std::process::Command::new(exe)
        .args(["seed", "--orders", &stored.to_string(), "--data-dir"])
        .arg(&data_dir)
        .output()
        .context("running cakeshop seed")?;
    if !seeded.status.success() {
        bail!("cakeshop seed failed: {}", String::from_utf8_lossy(&seeded.stderr));
    }
    let shop = Shop::start(config, &data_dir, &[], &[])?;
    let http = super::client()?;
    let target = Arc::new(Target {
        http: http.clone(),
        base: shop.base.clone(),
        baker_key: shop.baker_key.clone(),
        feeds: super::feeds::Feeds::default(),
        mailbox: true,
    });
    // Orders to read back: placed now, so their ids are known; the lookup is the same for any.
    let placed = load::run(
        Arc::clone(&target),
        Work::Place,
        Pace::Closed { customers: 8 },
        length / 3,
    )
    .await;
    let orders = placed_ids(&http, &shop).await?;
    let get_order = closed_loop(&http, &shop, length, move |n| {
        format!("/order/{}", orders[n % orders.len()])
    })
    .await;
    let view = closed_loop(&http, &shop, length, |_| "/orders?status=placed&limit=50".to_owned()).await;
    let place = load::run(target, Work::Place, Pace::Open { per_second: 500.0 }, length).await;
    drop(placed);
    Ok(ScalePoint {
        stored_orders: stored,
        store_bytes: shop.store_bytes(),
        get_order: Latency::of(&get_order),
        open_orders_view: Latency::of(&view),
        place_order: Latency::of(&place.recorded.place),
    })
}

/// Ids of orders waiting for the baker, from the baker's own view.
async fn placed_ids(http: &reqwest::Client, shop: &Shop) -> Result<Vec<String>> {
    let view: serde_json::Value = http
        .get(format!("{}/orders?status=placed&limit=100", shop.base))
        .bearer_auth(&shop.baker_key)
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
    http: &reqwest::Client,
    shop: &Shop,
    length: Duration,
    path: impl Fn(usize) -> String + Send + Sync + 'static,
) -> Histogram<u64> {
    let path = Arc::new(path);
    let deadline = Instant::now() + length;
    let clients = (0..8).map(|client| {
        let (http, base, key, path) = (
            http.clone(),
            shop.base.clone(),
            shop.baker_key.clone(),
            Arc::clone(&path),
        );
        tokio::spawn(async move {
            let mut histogram = Histogram::<u64>::new(3).unwrap_or_else(|_| unreachable!("3 figures is valid"));
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
    let mut total = Histogram::<u64>::new(3).unwrap_or_else(|_| unreachable!("3 figures is valid"));
    for histogram in join_all(clients).await.into_iter().flatten() {
        let _ = total.add(histogram);
    }
    total
}
