//! Starting the shop: read the wiring, open the store, build every function on the chosen
//! backend's adapters, start the event source mappings and serve the HTTP API.

use crate::assembly::{Adapters, Endpoints, assemble};
use crate::aws_backend::{self, AwsBackendError};
use crate::envelopes::{queue_arn, stream_arn};
use crate::functions::Functions;
use crate::gateway::{Gateway, PartnerFault, PartnerFaults};
use crate::mappings::{LocalMessages, LocalShards, MappingSources, start_all};
use crate::secrets::{LocalSecrets, SecretsError};
use crate::wiring::{QueueSpec, Wiring, WiringError, read_serverless_yml};
use axum::serve::ListenerExt;
use cakeshop_sqlite::{LocalMailer, LocalOrders, LocalQueue, LocalStream, Redrive, Store, StoreError};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where the shop keeps its state and sends its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// Everything in the embedded store.
    Local,
    /// DynamoDB, Kinesis, SQS and SES through the AWS SDK, at `AWS_ENDPOINT_URL` (an emulator)
    /// or in an AWS account; resources named as `serverless.yml` names them for `stage`.
    Aws { stage: String, provision: bool },
}

/// What `cakeshop dev` is asked to do.
#[derive(Clone)]
pub struct DevOptions {
    pub port: u16,
    pub data_dir: PathBuf,
    pub config: PathBuf,
    pub backend: Backend,
    pub stream_shards: u32,
    pub sender_email: String,
    pub baker_email: String,
    /// Defaults to the local address.
    pub public_base_url: Option<String>,
    /// Real partner endpoints; by default the process serves stand-ins.
    pub delivery_api_url: Option<String>,
    pub customer_service_api_url: Option<String>,
    pub signing_secret: Option<String>,
    pub baker_api_key: Option<String>,
    pub partner_timeout: Duration,
    /// The share of calls (0 to 1) the partner stand-ins answer with 503 from the start; see
    /// `PUT /_local/partners/{partner}/faults` for more.
    pub partner_failure_rate: f64,
    /// Runs scheduled functions this often instead of at their `rate(...)`.
    pub schedule_every: Option<Duration>,
}

/// Everything but the two secrets, so a stray `{:?}` in a log line leaks nothing.
impl std::fmt::Debug for DevOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevOptions")
            .field("port", &self.port)
            .field("data_dir", &self.data_dir)
            .field("config", &self.config)
            .field("backend", &self.backend)
            .field("public_base_url", &self.public_base_url)
            .field("delivery_api_url", &self.delivery_api_url)
            .field("customer_service_api_url", &self.customer_service_api_url)
            .finish_non_exhaustive()
    }
}

impl DevOptions {
    pub fn new(port: u16, data_dir: PathBuf, config: PathBuf) -> DevOptions {
        DevOptions {
            port,
            data_dir,
            config,
            backend: Backend::Local,
            stream_shards: 4,
            sender_email: "orders@cakeshop.local".into(),
            baker_email: "baker@cakeshop.local".into(),
            public_base_url: None,
            delivery_api_url: None,
            customer_service_api_url: None,
            signing_secret: None,
            baker_api_key: None,
            partner_timeout: cakeshop_aws::DEFAULT_PARTNER_TIMEOUT,
            partner_failure_rate: 0.0,
            schedule_every: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error(transparent)]
    Wiring(#[from] WiringError),
    #[error("opening the store")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error("cannot listen on 127.0.0.1:{port}")]
    Listen {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("the partner URL {url:?} is not usable")]
    PartnerUrl {
        url: String,
        #[source]
        source: cakeshop_aws::HttpPartnerError,
    },
    #[error(transparent)]
    CrashPoint(#[from] cakeshop_sqlite::faults::UnknownCrashPoint),
    #[error("the AWS backend")]
    Aws(#[from] AwsBackendError),
}

/// A started shop.
pub struct RunningShop {
    pub address: SocketAddr,
    pub base_url: String,
    pub baker_api_key: String,
    pub wiring: Wiring,
    pub store: Store,
    pub backend: Backend,
    pub delivery_api_url: String,
    pub customer_service_api_url: String,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningShop {
    /// Serves until the server stops (it does not, short of an error).
    pub async fn serve(self) -> std::io::Result<()> {
        self.server.await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

pub async fn start(options: DevOptions) -> Result<RunningShop, DevError> {
    cakeshop_sqlite::faults::arm_from_environment()?;
    let wiring = read_wiring(&options)?;
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
    let endpoints = Endpoints::new(&options, &format!("http://{address}"));

    let routes = wiring
        .functions
        .iter()
        .flat_map(|f| f.routes.iter().map(|route| (route.clone(), f.name.clone())))
        .collect();
    let partner_faults = PartnerFaults::everywhere(PartnerFault::unavailable(options.partner_failure_rate));
    let router = match &options.backend {
        Backend::Local => {
            let functions = Arc::new(local_functions(&options, &wiring, &store, &secrets, &endpoints)?);
            let sources = LocalSources {
                store: store.clone(),
                stream_arn: stream_arn(&wiring.stream.logical_id),
            };
            start_all(&wiring, &sources, &functions, options.schedule_every)?;
            start_retention(&wiring, &store);
            Gateway::new(routes, functions, store.clone(), true)
                .with_partner_faults(partner_faults)
                .router()
        }
        Backend::Aws { stage, provision } => {
            let functions =
                aws_backend::start(&options, &wiring, &store, &secrets, &endpoints, stage, *provision).await?;
            Gateway::new(routes, functions, store.clone(), false)
                .with_partner_faults(partner_faults)
                .router()
        }
    };
    // Small responses go out at once rather than wait on the client's delayed acknowledgement.
    let listener = listener.tap_io(|connection| {
        if let Err(error) = connection.set_nodelay(true) {
            tracing::debug!(error = %error, "could not set TCP_NODELAY on a connection");
        }
    });
    let server =
        tokio::spawn(
            async move { axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await },
        );
    Ok(RunningShop {
        address,
        base_url: endpoints.base_url,
        baker_api_key: secrets.baker_api_key,
        wiring,
        store,
        backend: options.backend.clone(),
        delivery_api_url: endpoints.delivery_api_url,
        customer_service_api_url: endpoints.customer_service_api_url,
        server,
    })
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

fn local_functions(
    options: &DevOptions,
    wiring: &Wiring,
    store: &Store,
    secrets: &LocalSecrets,
    endpoints: &Endpoints,
) -> Result<Functions, DevError> {
    let adapters = LocalAdapters { store: store.clone() };
    Ok(Functions::new(assemble(options, wiring, secrets, endpoints, adapters)?))
}

/// The local store's adapters.
struct LocalAdapters {
    store: Store,
}

impl Adapters for LocalAdapters {
    type Orders = LocalOrders;
    type Events = LocalStream;
    type Queue = LocalQueue;
    type Mailer = LocalMailer;

    fn orders(&self) -> LocalOrders {
        LocalOrders::new(self.store.clone())
    }

    fn events(&self) -> LocalStream {
        LocalStream::new(self.store.clone())
    }

    fn queue(&self, logical_id: &str) -> Result<LocalQueue, DevError> {
        Ok(LocalQueue::new(self.store.clone(), logical_id))
    }

    fn mailer(&self) -> LocalMailer {
        LocalMailer::new(self.store.clone())
    }
}

/// The local store as the mappings' sources.
struct LocalSources {
    store: Store,
    stream_arn: String,
}

impl MappingSources for LocalSources {
    type Shards = LocalShards;
    type Messages = LocalMessages;
    type Destination = LocalQueue;

    fn shards(&self) -> LocalShards {
        LocalShards::new(LocalStream::new(self.store.clone()))
    }

    fn stream_arn(&self) -> String {
        self.stream_arn.clone()
    }

    fn destination(&self, queue: &str) -> Result<LocalQueue, WiringError> {
        Ok(LocalQueue::new(self.store.clone(), queue))
    }

    fn messages(&self, spec: &QueueSpec) -> Result<LocalMessages, WiringError> {
        Ok(LocalMessages {
            queue: LocalQueue::new(self.store.clone(), spec.logical_id.clone()),
            visibility_ms: spec.visibility_timeout_seconds as i64 * 1000,
            redrive: spec.redrive.as_ref().map(|r| Redrive {
                dead_letter_queue: r.dead_letter_queue.clone(),
                max_receive_count: i64::from(r.max_receive_count),
            }),
        })
    }

    fn queue_arn(&self, queue: &str) -> Result<String, WiringError> {
        Ok(queue_arn(queue))
    }

    fn queue_concurrency(&self) -> usize {
        4
    }
}

/// Drops stream records older than the stream's retention, once a minute.
fn start_retention(wiring: &Wiring, store: &Store) {
    let stream = LocalStream::new(store.clone());
    let retention_ms = wiring.stream.retention_hours as i64 * 3_600_000;
    tokio::spawn(async move {
        loop {
            if let Err(error) = stream.trim_before(cakeshop_sqlite::now_millis() - retention_ms) {
                tracing::warn!(error = %crate::error_chain(&error), "trimming the stream failed");
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    });
}
