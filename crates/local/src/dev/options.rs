//! What `cakeshop dev` is asked to do.

use crate::api_gateway::TrustedProxies;
use cakeshop_domain::ClientLimits;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The public listener's port on 127.0.0.1 unless told otherwise.
pub const DEFAULT_PORT: u16 = 3000;
/// The operator listener's port on 127.0.0.1 unless told otherwise.
pub const DEFAULT_CONSOLE_PORT: u16 = 3001;

/// The zone `serverless.yml`'s `shopTimeZone` parameter defaults to, as `cakeshop dev` does.
pub const DEFAULT_SHOP_TIME_ZONE: &str = "Europe/London";

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
    /// Where the public surface (the API and the pages) listens; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The operator surface's port on 127.0.0.1 (the console, the mailbox, the partner
    /// stand-ins); 0 picks a free one.
    pub console_port: u16,
    /// Proxies whose `X-Forwarded-For` says who the client is.
    pub trusted_proxies: TrustedProxies,
    pub data_dir: PathBuf,
    pub config: PathBuf,
    pub backend: Backend,
    pub stream_shards: u32,
    pub sender_email: String,
    pub baker_email: String,
    /// The shop's IANA time zone (`SHOP_TIME_ZONE`): delivery days and the cut-off are its.
    pub shop_time_zone: String,
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
    /// `SMTP_URL`: with the local backend, emails are also sent through this server (see
    /// `crate::smtp`). It holds the server's password.
    pub smtp_url: Option<String>,
    /// `SMTP_CA_FILE`: certificates to trust for that server besides the system's.
    pub smtp_ca_file: Option<PathBuf>,
    /// `CLIENT_LIMITS` (`--limits`): how much one client, or one email address, may ask.
    pub limits: ClientLimits,
}

/// Everything but the secrets (the two, and the SMTP password), so a stray `{:?}` in a log
/// line leaks nothing.
impl std::fmt::Debug for DevOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevOptions")
            .field("listen", &self.listen)
            .field("console_port", &self.console_port)
            .field("trusted_proxies", &self.trusted_proxies)
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
    pub fn new(listen: SocketAddr, console_port: u16, data_dir: PathBuf, config: PathBuf) -> DevOptions {
        DevOptions {
            listen,
            console_port,
            trusted_proxies: TrustedProxies::default(),
            data_dir,
            config,
            backend: Backend::Local,
            stream_shards: 4,
            sender_email: "orders@cakeshop.local".into(),
            baker_email: "baker@cakeshop.local".into(),
            shop_time_zone: DEFAULT_SHOP_TIME_ZONE.into(),
            public_base_url: None,
            delivery_api_url: None,
            customer_service_api_url: None,
            signing_secret: None,
            baker_api_key: None,
            partner_timeout: cakeshop_aws::DEFAULT_PARTNER_TIMEOUT,
            partner_failure_rate: 0.0,
            schedule_every: None,
            smtp_url: None,
            smtp_ca_file: None,
            limits: ClientLimits::default(),
        }
    }
}
