//! `cakeshop bench`: complete order lifecycles over real HTTP against `cakeshop dev` processes
//! it starts itself — on the embedded store, and with `--compare-aws` on the AWS backend against
//! moto — reporting throughput, latency percentiles (HDR histograms), the server's CPU and peak
//! memory and the store's size, as a table and as JSON.

mod feeds;
mod load;
mod report;
mod scale;
mod server;

use anyhow::{Context, Result};
use load::{Pace, Target, Work};
use report::{Phase, Report};
use server::{Moto, Shop};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args, Clone, Debug)]
pub struct BenchArgs {
    /// Seconds each measured phase runs.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Customers at once in the closed-loop phases.
    #[arg(long, default_value_t = 64)]
    customers: usize,
    /// Orders per second of the open-loop POST /order phase.
    #[arg(long, default_value_t = 5000.0)]
    place_rate: f64,
    /// Also run the lifecycle phase with `cakeshop dev --backend aws` against a moto_server and
    /// print how many times faster the embedded store is.
    #[arg(long)]
    compare_aws: bool,
    /// The moto_server for --compare-aws (default: CAKESHOP_MOTO_SERVER, or the one tools/test
    /// installs under $CAKESHOP_CACHE_DIR or .cache).
    #[arg(long)]
    moto_server: Option<PathBuf>,
    /// Also measure single requests against stores already holding this many orders, e.g.
    /// `--scale 10000,1000000` (loaded with `cakeshop seed`).
    #[arg(long, value_delimiter = ',')]
    scale: Vec<u64>,
    /// Write the results as JSON to this file too.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The deployment description the shops are wired from.
    #[arg(long, default_value = "serverless.yml")]
    config: PathBuf,
}

/// Between phases the embedded shop catches up (see `Feeds::settle`): done when nothing has
/// arrived for SETTLE_QUIET, or after SETTLE_AT_MOST.
const SETTLE_QUIET: Duration = Duration::from_millis(300);
const SETTLE_AT_MOST: Duration = Duration::from_secs(60);

pub fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(1024)
        .tcp_nodelay(true)
        .build()
        .context("building the HTTP client")
}

pub async fn run(args: BenchArgs) -> Result<()> {
    let work_dir = tempfile::tempdir().context("a temporary directory for the shops")?;
    let length = Duration::from_secs_f64(args.seconds);
    let shop = Shop::start(&args.config, &work_dir.path().join("embedded"), &[], &[])?;
    let target = target_for(&shop)?;
    load::make_room(&target).await?;
    let mut phases = Vec::new();
    // A short warm-up, not counted: connections, caches, the first WAL checkpoint.
    load::run(
        Arc::clone(&target),
        Work::Lifecycle,
        Pace::Closed { customers: 8 },
        length / 5,
    )
    .await;

    let closed = Pace::Closed {
        customers: args.customers,
    };
    let plan = [
        (
            format!("POST /order, {} customers", args.customers),
            Work::Place,
            closed,
        ),
        (
            format!("POST /order at {}/s", args.place_rate),
            Work::Place,
            Pace::Open {
                per_second: args.place_rate,
            },
        ),
        (
            format!("lifecycles, {} customers", args.customers),
            Work::Lifecycle,
            closed,
        ),
    ];
    for (name, work, pace) in plan {
        target.feeds.settle(SETTLE_QUIET, SETTLE_AT_MOST).await;
        phases.push(phase(&shop, &target, name, "embedded", work, pace, length).await);
    }
    let sustained = phases.last().map_or(100.0, |p| p.per_second);
    let half = (sustained / 2.0).max(1.0);
    let name = format!("lifecycles at {half:.0}/s (half of max)");
    target.feeds.settle(SETTLE_QUIET, SETTLE_AT_MOST).await;
    phases.push(
        phase(
            &shop,
            &target,
            name,
            "embedded",
            Work::Lifecycle,
            Pace::Open { per_second: half },
            length,
        )
        .await,
    );
    let (server_peak_rss_mb, store_bytes) = (shop.peak_rss_bytes() as f64 / 1e6, shop.store_bytes());
    drop(shop);

    let mut embedded_over_emulator = None;
    if args.compare_aws {
        let moto = Moto::start(&Moto::find(args.moto_server.as_deref())?)?;
        let extra = ["--backend", "aws", "--provision", "--stage", "bench"];
        let shop = Shop::start(&args.config, &work_dir.path().join("aws"), &extra, &moto.env())?;
        let target = target_for(&shop)?;
        load::make_room(&target).await?;
        let name = format!("lifecycles, {} customers", args.customers);
        let emulated = phase(&shop, &target, name, "aws on moto", Work::Lifecycle, closed, length).await;
        embedded_over_emulator = Some(sustained / emulated.per_second.max(f64::EPSILON));
        phases.push(emulated);
    }

    let points = scale::measure(&args.config, work_dir.path(), &args.scale, length).await?;
    let report = Report {
        machine: report::machine(),
        phases,
        embedded_over_emulator,
        server_peak_rss_mb,
        store_bytes,
        scale: points,
    };
    print!("{}", report.table());
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn target_for(shop: &Shop) -> Result<Arc<Target>> {
    let http = client()?;
    Ok(Arc::new(Target {
        feeds: feeds::Feeds::follow(&http, &shop.console, shop.local_mailbox),
        http,
        base: shop.base.clone(),
        baker_key: shop.baker_key.clone(),
        mailbox: shop.local_mailbox,
    }))
}

async fn phase(
    shop: &Shop,
    target: &Arc<Target>,
    name: String,
    backend: &str,
    work: Work,
    pace: Pace,
    length: Duration,
) -> Phase {
    let cpu_before = shop.cpu_seconds();
    let outcome = load::run(Arc::clone(target), work, pace, length).await;
    Phase::new(name, backend, &outcome, shop.cpu_seconds() - cpu_before)
}
