//! `cakeshop`: the shop on one machine and the tools around it.
//!
//! - `dev`: the whole shop (`cakeshop_local::start`), with `banner` printing where it is.
//! - `dlq`: what landed in dead-letter queues and on-failure destinations, and redrive.
//! - `bench`: lifecycles over HTTP against shops it starts; `seed`: a large store.
//! - `functions`: the declared functions and what each reads.
//! - `backup`: `backup` and `restore`, a running shop's store copied and put back.

mod backup;
mod banner;
mod bench;
mod dlq;
mod functions;
mod seed;
mod store_order;

use anyhow::Context;
use cakeshop_domain::ClientLimits;
use cakeshop_local::api_gateway::{TrustedProxies, TrustedProxy};
use cakeshop_local::dev::{DEFAULT_CONSOLE_PORT, DEFAULT_PORT};
use cakeshop_local::{Backend, DevOptions};
use clap::{Args, Parser, Subcommand};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "cakeshop",
    version,
    about = "The cake order lifecycle, on one machine or on AWS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole shop: the HTTP API and pages (public), the console, mailbox and partner
    /// stand-ins (operator, loopback only), the store, stream and queues.
    Dev(Shop),
    /// See and replay what landed in dead-letter queues and on-failure destinations.
    #[command(subcommand)]
    Dlq(DlqCommand),
    /// Drive whole order lifecycles over HTTP against shops it starts, and report throughput,
    /// latency percentiles, CPU, memory and store size (a table, and JSON with --json).
    Bench(bench::BenchArgs),
    /// Fill a data dir with many realistic orders (most delivered, the newest still open), to
    /// measure the shop with a large table.
    Seed(seed::SeedArgs),
    /// Write a consistent copy of a shop's store and secrets to a new file, while it runs.
    Backup(backup::BackupArgs),
    /// Put a backup into an empty data dir, to start a shop on it.
    Restore(backup::RestoreArgs),
    /// List the shop's functions as they are declared: name, trigger and the environment
    /// variables each reads (what serverless.yml must give it).
    Functions(functions::FunctionsArgs),
    /// Store an order at a step of its journey in DynamoDB, through the adapter (tools/lambda-check).
    #[command(hide = true)]
    StoreOrder(store_order::StoreOrderArgs),
}

#[derive(Args, Clone)]
struct Shop {
    /// Port of the public HTTP API and pages on 127.0.0.1 (0 picks a free one); --listen for
    /// another address.
    #[arg(long, default_value_t = DEFAULT_PORT, conflicts_with = "listen")]
    port: u16,
    /// Address and port of the public HTTP API and pages, e.g. 0.0.0.0:8080 behind a reverse
    /// proxy (instead of --port).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<SocketAddr>,
    /// Port of the operator's console, mailbox and partner stand-ins, always on 127.0.0.1
    /// (0 picks a free one). Never expose it.
    #[arg(long, default_value_t = DEFAULT_CONSOLE_PORT)]
    console_port: u16,
    /// A reverse proxy (an IP address or a CIDR block) whose X-Forwarded-For names the client;
    /// repeat it, or list them comma-separated in TRUSTED_PROXIES (which the flag replaces).
    /// Trust your own proxy only: anything at a trusted address can name any client address.
    #[arg(long = "trusted-proxy", value_name = "IP or CIDR", value_delimiter = ',')]
    trusted_proxies: Vec<TrustedProxy>,
    /// Where the store (one SQLite file) and the local secrets live.
    #[arg(long, default_value = "./.cakeshop")]
    data_dir: PathBuf,
    /// The deployment description to wire from.
    #[arg(long, default_value = "serverless.yml")]
    config: PathBuf,
    /// Shards of the local stream.
    #[arg(long, default_value_t = 4)]
    shards: u32,
    /// `local`: the embedded store. `aws`: DynamoDB, Kinesis, SQS and SES through the AWS SDK,
    /// at AWS_ENDPOINT_URL (an emulator such as moto or LocalStack) or in your account.
    #[arg(long, value_enum, default_value_t = BackendArg::Local)]
    backend: BackendArg,
    /// With --backend aws: the stage whose resource names serverless.yml gives.
    #[arg(long, default_value = "dev")]
    stage: String,
    /// With --backend aws: first create the table, stream, queues and SES identity that
    /// serverless.yml defines, where they are missing.
    #[arg(long)]
    provision: bool,
    /// The share of calls (0 to 1) the partner stand-ins fail with 503, to watch retries and
    /// dead letters at work; change it at run time at /_local/partners/{partner}/faults on the
    /// console's port.
    #[arg(long, default_value_t = 0.0, value_parser = failure_rate)]
    partner_failure_rate: f64,
    /// Run scheduled functions (the outbox relay) every this many seconds instead of at the
    /// rate serverless.yml gives, e.g. in tests and demos.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    schedule_every: Option<u64>,
    /// How much one client, or one email address, may ask (`CLIENT_LIMITS`): `default`, `off`
    /// (no limits, for load tests only), or the limits to change, e.g. `order=10/1m+50/1d`.
    #[arg(long, env = "CLIENT_LIMITS", default_value = "default", value_parser = client_limits)]
    limits: ClientLimits,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BackendArg {
    Local,
    Aws,
}

#[derive(Subcommand)]
enum DlqCommand {
    /// List every dead-letter queue and on-failure destination with what it holds.
    List {
        #[command(flatten)]
        shop: Shop,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Replay one: SQS dead letters go back to their queue; stream failures are re-read from
    /// the stream and handed to their consumer again.
    Redrive {
        /// The queue's logical id in serverless.yml, e.g. DeliveryDeadLetterQueue.
        queue: String,
        #[command(flatten)]
        shop: Shop,
    },
}

impl Shop {
    /// The options, with the settings a user may give in the environment.
    fn options(&self) -> anyhow::Result<DevOptions> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let listen = self
            .listen
            .unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)));
        let mut options = DevOptions::new(listen, self.console_port, self.data_dir.clone(), self.config.clone());
        options.trusted_proxies = match env("TRUSTED_PROXIES") {
            Some(listed) if self.trusted_proxies.is_empty() => TrustedProxies::new(
                listed
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()
                    .context("TRUSTED_PROXIES is not a comma-separated list of IP addresses and CIDR blocks")?,
            ),
            _ => TrustedProxies::new(self.trusted_proxies.clone()),
        };
        options.stream_shards = self.shards;
        options.partner_failure_rate = self.partner_failure_rate;
        options.schedule_every = self.schedule_every.map(std::time::Duration::from_secs);
        options.limits = self.limits.clone();
        options.backend = match self.backend {
            BackendArg::Local => Backend::Local,
            BackendArg::Aws => Backend::Aws {
                stage: self.stage.clone(),
                provision: self.provision,
            },
        };
        if let Some(sender) = env("SENDER_EMAIL") {
            options.sender_email = sender;
        }
        if let Some(baker) = env("BAKER_EMAIL") {
            options.baker_email = baker;
        }
        if let Some(zone) = env("SHOP_TIME_ZONE") {
            options.shop_time_zone = zone;
        }
        options.public_base_url = env("PUBLIC_BASE_URL");
        options.delivery_api_url = env("DELIVERY_API_URL");
        options.customer_service_api_url = env("CUSTOMER_SERVICE_API_URL");
        options.signing_secret = env("SIGNING_SECRET");
        options.baker_api_key = env("BAKER_API_KEY");
        options.smtp_url = env("SMTP_URL");
        options.smtp_ca_file = env("SMTP_CA_FILE").map(PathBuf::from);
        Ok(options)
    }
}

fn client_limits(text: &str) -> Result<ClientLimits, String> {
    ClientLimits::parse(text).map_err(|error| error.to_string())
}

fn failure_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(format!("{text} is not a share from 0 to 1")),
    }
}

/// SIGTERM (a service manager stopping the shop) or Ctrl-C.
async fn stop_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(error) => {
                tracing::warn!(error = %error, "cannot listen for SIGTERM; stop the shop with Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

// The shop allocates a little for every request and event on several threads at once, which
// glibc's allocator serves with locks and consolidation passes that showed up in profiles.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CAKESHOP_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match Cli::parse().command {
        Command::Dev(shop) => {
            let shop = cakeshop_local::start(shop.options()?)
                .await
                .context("cakeshop dev could not start")?;
            banner::print(&shop);
            let stopped = shop
                .serve_until(stop_signal())
                .await
                .context("the HTTP server stopped")?;
            if !stopped.all_finished() {
                // What was cut short is safe: it is retried after the next start.
                tracing::warn!(?stopped, "stopped, but not everything in flight finished in time");
            }
            tracing::info!("stopped");
            Ok(())
        }
        Command::Dlq(DlqCommand::List { shop, json }) => dlq::list(&shop.options()?, json),
        Command::Dlq(DlqCommand::Redrive { queue, shop }) => dlq::redrive(&shop.options()?, &queue).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Seed(args) => seed::run(&args),
        Command::Backup(args) => backup::back_up(&args),
        Command::Restore(args) => backup::restore(&args),
        Command::Functions(args) => functions::run(&args),
        Command::StoreOrder(args) => store_order::run(&args).await,
    }
}
