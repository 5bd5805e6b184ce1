//! The AWS SDK clients, configured once per process from the standard sources.

use crate::config::{ConfigError, Secret};
use aws_config::{BehaviorVersion, SdkConfig};

/// One client per service the adapters use. Clients are cheap to clone and share one
/// connection pool, so an adapter takes its own copy.
#[derive(Debug, Clone)]
pub struct AwsClients {
    dynamodb: aws_sdk_dynamodb::Client,
    kinesis: aws_sdk_kinesis::Client,
    sqs: aws_sdk_sqs::Client,
    sesv2: aws_sdk_sesv2::Client,
    ssm: aws_sdk_ssm::Client,
}

impl AwsClients {
    /// Loads region, credentials and endpoint the SDK's standard way (environment, profile,
    /// the Lambda role). `AWS_ENDPOINT_URL` points every client at an emulator.
    pub async fn load() -> AwsClients {
        AwsClients::from_config(&aws_config::load_defaults(BehaviorVersion::latest()).await)
    }

    pub fn from_config(config: &SdkConfig) -> AwsClients {
        AwsClients {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            kinesis: aws_sdk_kinesis::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            sesv2: aws_sdk_sesv2::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
        }
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        self.dynamodb.clone()
    }

    pub fn kinesis(&self) -> aws_sdk_kinesis::Client {
        self.kinesis.clone()
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        self.sqs.clone()
    }

    pub fn sesv2(&self) -> aws_sdk_sesv2::Client {
        self.sesv2.clone()
    }

    pub fn ssm(&self) -> aws_sdk_ssm::Client {
        self.ssm.clone()
    }

    /// A secret's value, fetched from SSM once if it was given as a parameter name.
    pub async fn secret(&self, secret: &Secret) -> Result<String, ConfigError> {
        secret.resolve(&self.ssm).await
    }
}
