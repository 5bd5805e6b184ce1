//! The AWS SDK clients, configured once per process from the standard sources.

use crate::config::{ConfigError, FunctionEnv, ResolvedEnv, Secret};
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_http_client::{ConnectorBuilder, proxy::ProxyConfig};
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;
use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

/// The clients of the services the adapters use, each made on first use (a Lambda needs two
/// or three of the five). They share one HTTP client and its connection pool; an adapter takes
/// its own copy of a client, which is cheap to clone.
#[derive(Debug, Clone)]
pub struct AwsClients {
    config: SdkConfig,
    dynamodb: OnceLock<aws_sdk_dynamodb::Client>,
    kinesis: OnceLock<aws_sdk_kinesis::Client>,
    sqs: OnceLock<aws_sdk_sqs::Client>,
    sesv2: OnceLock<aws_sdk_sesv2::Client>,
    ssm: OnceLock<aws_sdk_ssm::Client>,
}

impl AwsClients {
    /// Loads region, credentials and endpoint the SDK's standard way (environment, profile,
    /// the Lambda role). `AWS_ENDPOINT_URL` points every client at an emulator.
    pub async fn load() -> AwsClients {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .http_client(https_client())
            .load()
            .await;
        AwsClients::from_config(&config)
    }

    pub fn from_config(config: &SdkConfig) -> AwsClients {
        AwsClients {
            config: config.clone(),
            dynamodb: OnceLock::new(),
            kinesis: OnceLock::new(),
            sqs: OnceLock::new(),
            sesv2: OnceLock::new(),
            ssm: OnceLock::new(),
        }
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        self.dynamodb
            .get_or_init(|| aws_sdk_dynamodb::Client::new(&self.config))
            .clone()
    }

    pub fn kinesis(&self) -> aws_sdk_kinesis::Client {
        self.kinesis
            .get_or_init(|| aws_sdk_kinesis::Client::new(&self.config))
            .clone()
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        self.sqs.get_or_init(|| aws_sdk_sqs::Client::new(&self.config)).clone()
    }

    pub fn sesv2(&self) -> aws_sdk_sesv2::Client {
        self.sesv2
            .get_or_init(|| aws_sdk_sesv2::Client::new(&self.config))
            .clone()
    }

    pub fn ssm(&self) -> aws_sdk_ssm::Client {
        self.ssm.get_or_init(|| aws_sdk_ssm::Client::new(&self.config)).clone()
    }

    /// A secret's value, fetched from SSM once if it was given as a parameter name.
    pub async fn secret(&self, secret: &Secret) -> Result<String, ConfigError> {
        secret.resolve(&self.ssm()).await
    }

    /// A function's environment with its secrets fetched: those given as parameters in one SSM
    /// round trip (GetParameters, which needs `ssm:GetParameters` on them). If that call fails
    /// or leaves one out (absent, blank, or named by ARN or version), those are fetched one by
    /// one as `secret` does, at once, and the first error in the order declared is returned.
    pub async fn resolve(&self, env: &FunctionEnv) -> Result<ResolvedEnv, ConfigError> {
        let names: Vec<String> = env
            .secrets
            .iter()
            .filter_map(|(_, secret)| match secret {
                Secret::SsmParameter { parameter, .. } => Some(parameter.clone()),
                Secret::Value(_) => None,
            })
            .collect();
        let mut fetched = HashMap::new();
        if (2..=10).contains(&names.len()) {
            let answer = self
                .ssm()
                .get_parameters()
                .set_names(Some(names))
                .with_decryption(true)
                .send()
                .await;
            for parameter in answer.iter().flat_map(|output| output.parameters()) {
                if let (Some(name), Some(value)) = (parameter.name(), parameter.value())
                    && !value.trim().is_empty()
                {
                    fetched.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let values = futures::future::join_all(env.secrets.iter().map(|(variable, secret)| {
            let fetched = &fetched;
            async move {
                let value = match secret {
                    Secret::SsmParameter { parameter, .. } => match fetched.get(parameter) {
                        Some(value) => Ok(value.clone()),
                        None => self.secret(secret).await,
                    },
                    Secret::Value(value) => Ok(value.clone()),
                };
                value.map(|value| (*variable, value))
            }
        }))
        .await;
        let mut resolved = ResolvedEnv {
            values: env.values.clone(),
            seconds: env.seconds.clone(),
        };
        for value in values {
            let (variable, value) = value?;
            resolved.values.insert(variable, value);
        }
        Ok(resolved)
    }
}

/// The SDK's default HTTPS client (hyper 1, rustls with aws-lc, proxy from the environment),
/// trusting `system_ca_bundle()` where there is one.
fn https_client() -> SharedHttpClient {
    let trust_store = match system_ca_bundle() {
        Some(pem) => TrustStore::empty().with_pem_certificate(pem),
        None => TrustStore::default(),
    };
    let tls_context = TlsContext::builder()
        .with_trust_store(trust_store)
        .build()
        .expect("a TLS context of a trust store alone always builds");
    let client = aws_smithy_http_client::Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(tls_context.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    });
    BuiltOnFirstRequest(client).into_shared()
}

/// The system's CA bundle as one PEM file (`SSL_CERT_FILE`, else the distribution's, such as
/// /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem on Amazon Linux), read and checked once per
/// process: the roots the SDK's HTTPS client trusts. Without it the SDK reads the system's
/// certificate directory too, one file per CA on Debian-like systems, at every start. `None`, to
/// leave the loading to the SDK as it would do it, where `SSL_CERT_DIR` names directories to
/// read, where there is no such file, or where rustls rejects a certificate in it (given one it
/// rejects, the SDK panics where its own loading skips it).
pub fn system_ca_bundle() -> Option<&'static [u8]> {
    static BUNDLE: LazyLock<Option<Vec<u8>>> = LazyLock::new(read_system_ca_bundle);
    BUNDLE.as_deref()
}

#[cfg(all(unix, not(target_vendor = "apple")))]
fn read_system_ca_bundle() -> Option<Vec<u8>> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    if std::env::var_os("SSL_CERT_DIR").is_some() {
        return None;
    }
    let pem = std::fs::read(openssl_probe::probe().cert_file?).ok()?;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(&pem) {
        roots.add(certificate.ok()?).ok()?;
    }
    (!roots.is_empty()).then_some(pem)
}

/// Elsewhere (macOS: the keychain) the platform's own loading is the right one.
#[cfg(not(all(unix, not(target_vendor = "apple"))))]
fn read_system_ca_bundle() -> Option<Vec<u8>> {
    None
}

/// An HTTP client whose connector (TLS configuration, root store, pool) is built at the first
/// request and then shared by every SDK client of the process. The SDK's own also builds and
/// drops one for each client it creates, to load the system's certificates early: with the
/// bundle read once above that is work without use (each build parses every root again).
#[derive(Debug)]
struct BuiltOnFirstRequest(SharedHttpClient);

impl HttpClient for BuiltOnFirstRequest {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}
