//! `cakeshop dev`: the process that assembles the shop. It reads the wiring, opens the store,
//! builds every declared function on the chosen backend's adapters, starts the event source
//! mappings and serves two surfaces: the public one, exactly what API Gateway serves on AWS
//! (the API and the pages), and the operator's, on loopback only (the console, the mailbox
//! feed and the partner stand-ins).
//!
//! - `options`, `error`: what it is asked to do, and why it could not.
//! - `ports`: the ports every function is built on, and each variable's local value.
//! - `mappings`: every `serverless.yml` trigger started as a running mapping.
//! - `local`: the embedded store as the backend; `aws` (with `provision`): DynamoDB, Kinesis,
//!   SQS and SES through the SDK.
//! - `secrets`: the local signing secret and baker key, kept in the data directory.

mod aws;
mod error;
mod local;
pub mod mappings;
mod options;
mod ports;
mod provision;
pub mod secrets;

pub use error::{AwsBackendError, DevError};
pub use local::LocalSources;
pub use options::{Backend, DEFAULT_CONSOLE_PORT, DEFAULT_PORT, DevOptions};
pub use ports::Endpoints;

use crate::api_gateway::{Gateway, TrustedProxies};
use crate::arn::stream_arn;
use crate::console::{Console, console};
use crate::lambda::Functions;
use crate::operator::operator_surface;
use crate::partners::{PartnerFault, PartnerFaults, partner_stand_ins};
use crate::serverless::{Wiring, WiringError, read_serverless_yml, route_disagreements};
use crate::ses::mailbox_feed;
use crate::smtp::SmtpSettings;
use crate::stopping::Stopping;
use axum::Router;
use axum::serve::ListenerExt;
use cakeshop_sqlite::{DataDirLock, Store};
use local::{local_functions, start_retention};
use mappings::start_all;
use secrets::LocalSecrets;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// A started shop.
pub struct RunningShop {
    /// Where the public surface listens.
    pub address: SocketAddr,
    /// The public surface's URL from this machine (`http://<address>`, loopback for an
    /// address that means every interface).
    pub api_url: String,
    /// The shop's public URL, in the emails' links: `PUBLIC_BASE_URL`, or `api_url`.
    pub base_url: String,
    /// Where the operator surface listens (on 127.0.0.1).
    pub console_address: SocketAddr,
    /// `http://<console_address>`; the console is at `CONSOLE_PATH` under it.
    pub console_url: String,
    /// Whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    pub baker_api_key: String,
    pub wiring: Wiring,
    pub store: Store,
    pub backend: Backend,
    /// The client limits every function keeps to.
    pub limits: cakeshop_domain::ClientLimits,
    pub delivery_api_url: String,
    pub customer_service_api_url: String,
    /// The SMTP server emails are also sent through, as `SmtpSettings::describe` puts it.
    pub smtp_server: Option<String>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    stop_serving: tokio::sync::watch::Sender<bool>,
    stopping: Stopping,
    /// Held for as long as the shop runs: one process per store.
    _lock: DataDirLock,
}

/// How long a stop waits for the batches in flight, and then for the requests in flight.
pub const STOP_WITHIN: Duration = Duration::from_secs(10);

impl RunningShop {
    /// Serves until `stop` resolves (e.g. on SIGTERM or Ctrl-C), then stops cleanly: it
    /// accepts no more connections, lets the requests and batches in flight finish (each for
    /// up to `STOP_WITHIN`), copies the log into the store file and returns.
    pub async fn serve_until(self, stop: impl Future<Output = ()>) -> Result<Stopped, std::io::Error> {
        let mut server = self.server;
        tokio::select! {
            served = &mut server => {
                served.map_err(std::io::Error::other)??;
                return Err(std::io::Error::other("the HTTP servers stopped by themselves"));
            }
            () = stop => {}
        }
        tracing::info!("stopping: no new connections; finishing the requests and batches in flight");
        let _ = self.stop_serving.send(true);
        let batches_done = self.stopping.stop(STOP_WITHIN).await;
        let requests_done = tokio::time::timeout(STOP_WITHIN, &mut server).await.is_ok();
        let checkpointed = self.store.checkpoint();
        if let Err(error) = &checkpointed {
            tracing::warn!(error = %cakeshop_ports::error_chain(error), "the last checkpoint failed; the next start recovers from the log");
        }
        Ok(Stopped {
            batches_done,
            requests_done,
            checkpointed: checkpointed.is_ok(),
        })
    }
}

/// How a clean stop went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Every mapping's batch in flight finished within `STOP_WITHIN`.
    pub batches_done: bool,
    /// Every request in flight finished within `STOP_WITHIN`.
    pub requests_done: bool,
    /// The log was copied into the store file.
    pub checkpointed: bool,
}

impl Stopped {
    pub fn all_finished(&self) -> bool {
        self.batches_done && self.requests_done && self.checkpointed
    }
}

/// Starts the shop and serves its public surface at `options.listen` and its operator
/// surface at 127.0.0.1:`options.console_port` (see `RunningShop::serve_until`).
pub async fn start(options: DevOptions) -> Result<RunningShop, DevError> {
    cakeshop_sqlite::faults::arm_from_environment()?;
    let wiring = read_wiring(&options)?;
    let smtp = smtp_settings(&options)?;
    let lock = DataDirLock::acquire(&options.data_dir, "cakeshop dev, starting")?;
    let store = Store::open(&options.data_dir, options.stream_shards)?;
    let secrets = LocalSecrets::load_or_create(
        &options.data_dir,
        options.signing_secret.clone(),
        options.baker_api_key.clone(),
    )?;
    let (public, address) = bind(options.listen, "the public HTTP API (--port, --listen)").await?;
    // Loopback only, whatever --listen says: the operator's tools are not the customers'.
    let operator_at = SocketAddr::from((Ipv4Addr::LOCALHOST, options.console_port));
    let (operator, console_address) = bind(operator_at, "the operator console (--console-port)").await?;
    let api_url = url_of(address);
    let console_url = url_of(console_address);
    lock.describe(&format!(
        "pid {}, cakeshop dev at {api_url}, console at {console_url}",
        std::process::id()
    ))?;
    warn_of_exposure(&options, address);
    let endpoints = Endpoints::new(&options, &api_url, &console_url);

    let routes = wiring
        .functions
        .iter()
        .flat_map(|f| f.routes.iter().map(|route| (route.clone(), f.name.clone())))
        .collect();
    let partner_faults = PartnerFaults::everywhere(PartnerFault::unavailable(options.partner_failure_rate));
    let stopping = Stopping::default();
    let (functions, local_mailbox) = match &options.backend {
        Backend::Local => {
            // The lock says the process that received them is gone (stopped, killed or restored).
            let released = store.release_received_messages()?;
            if released > 0 {
                tracing::info!(
                    released,
                    "queue messages left in flight by the last run are handed over again"
                );
            }
            let functions = Arc::new(local_functions(&options, &wiring, &store, &secrets, &endpoints)?);
            let sources = LocalSources {
                store: store.clone(),
                stream_arn: stream_arn(&wiring.stream.logical_id),
            };
            start_all(&wiring, &sources, &functions, options.schedule_every, &stopping)?;
            start_retention(&wiring, &store);
            match &smtp {
                Some(smtp) => crate::smtp::start(smtp, &store, &stopping)?,
                None => crate::smtp::warn_of_owed_emails(&store),
            }
            (functions, true)
        }
        Backend::Aws { stage, provision } => {
            let functions = aws::start(
                &options,
                &wiring,
                &store,
                &secrets,
                &endpoints,
                aws::Target {
                    stage,
                    provision: *provision,
                },
                &stopping,
            )
            .await?;
            (functions, false)
        }
    };
    let console = console(Console {
        wiring: wiring.clone(),
        store: store.clone(),
        functions: Arc::clone(&functions),
        faults: partner_faults.clone(),
        local: local_mailbox,
        shop_url: endpoints.base_url.clone(),
    });
    let public_router = Gateway::new(routes, functions)
        .trusting(options.trusted_proxies.clone())
        .router();
    let operator_router = operator_surface(
        Router::new()
            .merge(mailbox_feed(store.clone(), local_mailbox))
            .merge(partner_stand_ins(store.clone(), partner_faults))
            .merge(console),
        console_address,
    );
    let (stop_serving, serving_stopped) = tokio::sync::watch::channel(false);
    let public_server = serve(public, public_router, serving_stopped.clone());
    let operator_server = serve(operator, operator_router, serving_stopped);
    let server = tokio::spawn(async move {
        tokio::try_join!(public_server, operator_server)?;
        Ok(())
    });
    Ok(RunningShop {
        address,
        api_url,
        base_url: endpoints.base_url,
        console_address,
        console_url,
        trusted_proxies: options.trusted_proxies.clone(),
        baker_api_key: secrets.baker_api_key,
        wiring,
        store,
        backend: options.backend.clone(),
        limits: options.limits.clone(),
        delivery_api_url: endpoints.delivery_api_url,
        customer_service_api_url: endpoints.customer_service_api_url,
        smtp_server: smtp.as_ref().map(SmtpSettings::describe),
        server,
        stop_serving,
        stopping,
        _lock: lock,
    })
}

/// A listener on `address` (port 0: a free one), and the address it got.
async fn bind(address: SocketAddr, surface: &'static str) -> Result<(tokio::net::TcpListener, SocketAddr), DevError> {
    let listening = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener.local_addr().map(|bound| (listener, bound)),
        Err(error) => Err(error),
    };
    listening.map_err(|source| DevError::Listen {
        address,
        surface,
        source,
    })
}

/// Serves `router` on `listener` until `stopped` says so, letting the requests in flight finish.
async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    // Small responses go out at once rather than wait on the client's delayed acknowledgement.
    let listener = listener.tap_io(|connection| {
        if let Err(error) = connection.set_nodelay(true) {
            tracing::debug!(error = %error, "could not set TCP_NODELAY on a connection");
        }
    });
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|stopped| *stopped).await;
        })
        .await
}

/// `http://<address>`, reachable from this machine: an address meaning every interface is
/// reached on loopback.
fn url_of(address: SocketAddr) -> String {
    let reachable = match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::from((Ipv4Addr::LOCALHOST, address.port())),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::from((Ipv6Addr::LOCALHOST, address.port())),
        _ => address,
    };
    format!("http://{reachable}")
}

/// What an operator serving customers is likely to have missed, said once at start.
fn warn_of_exposure(options: &DevOptions, address: SocketAddr) {
    if !address.ip().is_loopback() && options.public_base_url.is_none() {
        tracing::warn!(
            %address,
            "serving beyond loopback without PUBLIC_BASE_URL: the links in emails lead to this machine's own address"
        );
    }
    for proxy in options.trusted_proxies.iter().filter(|proxy| proxy.is_everything()) {
        tracing::warn!(
            %proxy,
            "every address is a trusted proxy: any client can name its own address in X-Forwarded-For"
        );
    }
}

/// The SMTP server emails also go to, checked before anything starts.
fn smtp_settings(options: &DevOptions) -> Result<Option<SmtpSettings>, DevError> {
    let Some(url) = &options.smtp_url else {
        return Ok(None);
    };
    if options.backend != Backend::Local {
        return Err(DevError::SmtpWithAws);
    }
    let settings = SmtpSettings::parse(url, options.smtp_ca_file.as_deref())?;
    settings.check_tls()?;
    Ok(Some(settings))
}

/// The wiring, refusing functions this runtime has no handler for.
fn read_wiring(options: &DevOptions) -> Result<Wiring, DevError> {
    let wiring = read_serverless_yml(&options.config)?;
    let declared = cakeshop_handlers::functions::names();
    for function in &wiring.functions {
        if !declared.contains(&function.name.as_str()) {
            return Err(WiringError::Unusable {
                location: format!("function {}", function.name),
                problem: format!(
                    "cakeshop dev has no handler by that name; it runs {}",
                    declared.join(", ")
                ),
            }
            .into());
        }
    }
    let disagreements = route_disagreements(&wiring);
    if !disagreements.is_empty() {
        return Err(WiringError::Unusable {
            location: "the httpApi routes".to_owned(),
            problem: disagreements.join("; "),
        }
        .into());
    }
    Ok(wiring)
}

/// The functions on the local store without serving anything, for tools such as
/// `cakeshop dlq redrive`; partner calls go to the stand-ins where a running `cakeshop dev`
/// with `options.console_port` serves them.
pub fn offline_functions(options: &DevOptions, wiring: &Wiring, store: &Store) -> Result<Arc<Functions>, DevError> {
    let secrets = LocalSecrets::load_or_create(
        &options.data_dir,
        options.signing_secret.clone(),
        options.baker_api_key.clone(),
    )?;
    let console_url = url_of(SocketAddr::from((Ipv4Addr::LOCALHOST, options.console_port)));
    let endpoints = Endpoints::new(options, &url_of(options.listen), &console_url);
    Ok(Arc::new(local_functions(options, wiring, store, &secrets, &endpoints)?))
}
