//! `cakeshop dev`: the process that assembles the shop. It reads the wiring, opens the store,
//! builds every declared function on the chosen backend's adapters, starts the event source
//! mappings and serves the HTTP API with the local feeds, the partner stand-ins and the
//! console.
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
pub use options::{Backend, DevOptions};
pub use ports::Endpoints;

use crate::api_gateway::Gateway;
use crate::arn::stream_arn;
use crate::console::{Console, console};
use crate::lambda::Functions;
use crate::partners::{PartnerFault, PartnerFaults, partner_stand_ins};
use crate::serverless::{Wiring, WiringError, read_serverless_yml, route_disagreements};
use crate::ses::mailbox_feed;
use crate::smtp::SmtpSettings;
use crate::stopping::Stopping;
use axum::serve::ListenerExt;
use cakeshop_sqlite::{DataDirLock, Store};
use local::{local_functions, start_retention};
use mappings::start_all;
use secrets::LocalSecrets;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// A started shop.
pub struct RunningShop {
    pub address: SocketAddr,
    pub base_url: String,
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
                return Err(std::io::Error::other("the HTTP server stopped by itself"));
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

/// Starts the shop and serves it on `options.port` (see `RunningShop::serve`).
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
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
        .await
        .map_err(|source| DevError::Listen {
            port: options.port,
            source,
        })?;
    let address = listener.local_addr().map_err(|source| DevError::Listen {
        port: options.port,
        source,
    })?;
    lock.describe(&format!("pid {}, cakeshop dev at http://{address}", std::process::id()))?;
    let endpoints = Endpoints::new(&options, &format!("http://{address}"));

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
    });
    let router = Gateway::new(routes, functions)
        .router()
        .merge(mailbox_feed(store.clone(), local_mailbox))
        .merge(partner_stand_ins(store.clone(), partner_faults))
        .merge(console);
    // Small responses go out at once rather than wait on the client's delayed acknowledgement.
    let listener = listener.tap_io(|connection| {
        if let Err(error) = connection.set_nodelay(true) {
            tracing::debug!(error = %error, "could not set TCP_NODELAY on a connection");
        }
    });
    let (stop_serving, mut serving_stopped) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = serving_stopped.wait_for(|stopped| *stopped).await;
            })
            .await
    });
    Ok(RunningShop {
        address,
        base_url: endpoints.base_url,
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
/// `cakeshop dlq redrive`; partner calls go to where a running `cakeshop dev` on
/// `options.port` would serve them.
pub fn offline_functions(options: &DevOptions, wiring: &Wiring, store: &Store) -> Result<Arc<Functions>, DevError> {
    let secrets = LocalSecrets::load_or_create(
        &options.data_dir,
        options.signing_secret.clone(),
        options.baker_api_key.clone(),
    )?;
    let endpoints = Endpoints::new(options, &format!("http://127.0.0.1:{}", options.port));
    Ok(Arc::new(local_functions(options, wiring, store, &secrets, &endpoints)?))
}
