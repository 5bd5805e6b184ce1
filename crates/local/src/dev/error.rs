//! Why the shop could not start.

use super::secrets::SecretsError;
use crate::serverless::WiringError;
use cakeshop_sqlite::{LockError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error(transparent)]
    Wiring(#[from] WiringError),
    #[error(transparent)]
    InUse(#[from] LockError),
    #[error("opening the store")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error("cannot listen on {address} for {surface}")]
    Listen {
        address: std::net::SocketAddr,
        surface: &'static str,
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
    TimeZone(#[from] cakeshop_domain::ShopZoneError),
    #[error(transparent)]
    CrashPoint(#[from] cakeshop_sqlite::faults::UnknownCrashPoint),
    #[error("the AWS backend")]
    Aws(#[from] AwsBackendError),
    #[error(transparent)]
    Smtp(#[from] crate::smtp::SmtpSettingsError),
    #[error("SMTP_URL is for the local backend; with --backend aws the emails go through SES")]
    SmtpWithAws,
}

#[derive(Debug, thiserror::Error)]
pub enum AwsBackendError {
    #[error("{what} failed")]
    Provision {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("queue {name} ({logical_id}) does not exist; start with --provision to create what serverless.yml defines")]
    MissingQueue {
        logical_id: String,
        name: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
