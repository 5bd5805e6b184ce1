//! `cakeshop dev --backend aws`: the same local HTTP gateway and event source mappings, on the
//! AWS adapters and on the real (or emulated) Kinesis shards and SQS queues that
//! `AWS_ENDPOINT_URL` or the account's credentials point at. The local store keeps only the
//! mappings' stream checkpoints and the partner stand-ins' calls.

use super::error::{AwsBackendError, DevError};
use super::mappings::{MappingSources, start_all};
use super::options::DevOptions;
use super::ports::{Adapters, Endpoints, assemble};
use super::provision;
use super::secrets::LocalSecrets;
use crate::arn::{queue_arn, stream_arn};
use crate::kinesis::KinesisShards;
use crate::lambda::Functions;
use crate::serverless::{AwsNames, QueueSpec, Wiring, WiringError, resolve_names};
use crate::sqs::SqsMessages;
use crate::stopping::Stopping;
use cakeshop_aws::{AwsClients, DynamoOrders, KinesisEvents, SesMailer, SqsQueue};
use cakeshop_sqlite::Store;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Which deployed stage to run against, and whether to create its resources first.
pub struct Target<'a> {
    pub stage: &'a str,
    pub provision: bool,
}

/// Builds the functions on the AWS adapters and starts their mappings on Kinesis and SQS.
pub async fn start(
    options: &DevOptions,
    wiring: &Wiring,
    store: &Store,
    secrets: &LocalSecrets,
    endpoints: &Endpoints,
    target: Target<'_>,
    stopping: &Stopping,
) -> Result<Arc<Functions>, DevError> {
    let names = resolve_names(wiring, target.stage)?;
    let aws = AwsClients::load().await;
    if target.provision {
        provision::provision(&aws, wiring, &names, &options.sender_email).await?;
    }
    let urls = queue_urls(&aws, &names).await?;
    let adapters = AwsAdapters {
        aws: aws.clone(),
        table: names.table.clone(),
        stream: names.stream.clone(),
        urls: urls.clone(),
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
        stopping,
    )?;
    Ok(functions)
}

/// The URL found for the queue with this logical id.
fn queue_url(urls: &BTreeMap<String, String>, logical_id: &str) -> Result<String, WiringError> {
    urls.get(logical_id).cloned().ok_or_else(|| unnamed_queue(logical_id))
}

fn unnamed_queue(logical_id: &str) -> WiringError {
    WiringError::Unusable {
        location: format!("queue {logical_id}"),
        problem: "is not among the SQS queues serverless.yml defines".into(),
    }
}

/// The AWS adapters, on the resources named for the stage.
struct AwsAdapters {
    aws: AwsClients,
    table: String,
    stream: String,
    urls: BTreeMap<String, String>,
}

impl Adapters for AwsAdapters {
    type Orders = DynamoOrders;
    type Events = KinesisEvents;
    type Queue = SqsQueue;
    type Mailer = SesMailer;

    fn orders(&self) -> DynamoOrders {
        DynamoOrders::new(self.aws.dynamodb(), self.table.clone())
    }

    fn events(&self) -> KinesisEvents {
        KinesisEvents::new(self.aws.kinesis(), self.stream.clone())
    }

    fn queue(&self, logical_id: &str) -> Result<SqsQueue, DevError> {
        Ok(SqsQueue::new(self.aws.sqs(), queue_url(&self.urls, logical_id)?))
    }

    fn mailer(&self) -> SesMailer {
        SesMailer::new(self.aws.sesv2())
    }
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
        let url = found.queue_url().ok_or_else(|| AwsBackendError::MissingQueue {
            logical_id: logical_id.clone(),
            name: name.clone(),
            source: "GetQueueUrl answered without a URL".into(),
        })?;
        urls.insert(logical_id.clone(), url.to_owned());
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

    fn destination(&self, queue: &str) -> Result<SqsQueue, WiringError> {
        Ok(SqsQueue::new(self.aws.sqs(), queue_url(self.urls, queue)?))
    }

    /// Visibility and redrive are the queue's own.
    fn messages(&self, spec: &QueueSpec) -> Result<SqsMessages, WiringError> {
        Ok(SqsMessages::new(
            self.aws.sqs(),
            queue_url(self.urls, &spec.logical_id)?,
        ))
    }

    fn queue_arn(&self, queue: &str) -> Result<String, WiringError> {
        let name = self.names.queues.get(queue).ok_or_else(|| unnamed_queue(queue))?;
        Ok(queue_arn(name))
    }

    fn queue_concurrency(&self) -> usize {
        2
    }
}
