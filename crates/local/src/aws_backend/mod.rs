//! `cakeshop dev --backend aws`: the same local HTTP gateway and event source mappings, on the
//! AWS adapters and on the real (or emulated) Kinesis shards and SQS queues that
//! `AWS_ENDPOINT_URL` or the account's credentials point at. The local store keeps only the
//! mappings' stream checkpoints and the partner stand-ins' calls.

mod names;
mod provision;
mod sources;

pub use names::{AwsNames, resolve_names};
pub use sources::{KinesisShards, SqsMessages};

use crate::assembly::{Adapters, Endpoints, assemble};
use crate::envelopes::{queue_arn, stream_arn};
use crate::functions::Functions;
use crate::mappings::{MappingSources, start_all};
use crate::runtime::{DevError, DevOptions};
use crate::secrets::LocalSecrets;
use crate::store::Store;
use crate::wiring::{QueueSpec, Wiring};
use cakeshop_aws::{AwsClients, DynamoOrders, HttpPartner, KinesisEvents, SesMailer, SqsQueue};
use std::collections::BTreeMap;
use std::sync::Arc;

pub type AwsFunctions = Functions<DynamoOrders, KinesisEvents, SqsQueue, SesMailer, HttpPartner>;

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

/// Builds the functions on the AWS adapters and starts their mappings on Kinesis and SQS.
pub async fn start(
    options: &DevOptions,
    wiring: &Wiring,
    store: &Store,
    secrets: &LocalSecrets,
    endpoints: &Endpoints,
    stage: &str,
    provision: bool,
) -> Result<Arc<AwsFunctions>, DevError> {
    let names = resolve_names(wiring, stage)?;
    let aws = AwsClients::load().await;
    if provision {
        provision::provision(&aws, wiring, &names, &options.sender_email).await?;
    }
    let urls = queue_urls(&aws, &names).await?;
    let queue = |function: &str, variable: &str| -> Result<SqsQueue, DevError> {
        let logical_id = &wiring.queue_of(function, variable)?.logical_id;
        Ok(SqsQueue::new(aws.sqs(), urls[logical_id].clone()))
    };
    let adapters = Adapters {
        orders: DynamoOrders::new(aws.dynamodb(), names.table.clone()),
        events: KinesisEvents::new(aws.kinesis(), names.stream.clone()),
        delivery_queue: queue("request-delivery", "DELIVERY_QUEUE_URL")?,
        feedback_queue: queue("confirm-delivery", "FEEDBACK_QUEUE_URL")?,
        mailer: SesMailer::new(aws.sesv2()),
    };
    let functions = Arc::new(assemble(options, wiring, secrets, endpoints, adapters)?);
    start_all(
        wiring,
        &AwsSources {
            aws: &aws,
            store,
            names: &names,
            urls: &urls,
        },
        &functions,
        options.schedule_every,
    )?;
    Ok(functions)
}

async fn queue_urls(aws: &AwsClients, names: &AwsNames) -> Result<BTreeMap<String, String>, AwsBackendError> {
    let mut urls = BTreeMap::new();
    for (logical_id, name) in &names.queues {
        let found = aws
            .sqs()
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .map_err(|source| AwsBackendError::MissingQueue {
                logical_id: logical_id.clone(),
                name: name.clone(),
                source: Box::new(source),
            })?;
        urls.insert(logical_id.clone(), found.queue_url().unwrap_or_default().to_owned());
    }
    Ok(urls)
}

/// The real (or emulated) Kinesis stream and SQS queues as the mappings' sources.
struct AwsSources<'a> {
    aws: &'a AwsClients,
    store: &'a Store,
    names: &'a AwsNames,
    urls: &'a BTreeMap<String, String>,
}

impl MappingSources for AwsSources<'_> {
    type Shards = KinesisShards;
    type Messages = SqsMessages;
    type Destination = SqsQueue;

    fn shards(&self) -> KinesisShards {
        KinesisShards::new(self.aws.kinesis(), self.names.stream.clone(), self.store.clone())
    }

    fn stream_arn(&self) -> String {
        stream_arn(&self.names.stream)
    }

    fn destination(&self, queue: &str) -> SqsQueue {
        SqsQueue::new(self.aws.sqs(), self.urls[queue].clone())
    }

    /// Visibility and redrive are the queue's own.
    fn messages(&self, spec: &QueueSpec) -> SqsMessages {
        SqsMessages::new(self.aws.sqs(), self.urls[&spec.logical_id].clone())
    }

    fn queue_arn(&self, queue: &str) -> String {
        queue_arn(&self.names.queues[queue])
    }

    fn queue_concurrency(&self) -> usize {
        2
    }
}
