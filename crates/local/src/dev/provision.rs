//! `cakeshop dev --backend aws --provision`: makes the table, the stream, the queues (dead-letter
//! queues first, then their sources with the redrive policy and visibility timeout the stack
//! gives them) and the sender's SES identity, as `serverless.yml` defines them (the table with
//! its outbox index, as `cakeshop_aws::dynamodb::order_table` does), and stores the sample catalogue
//! (version 1) in the table, on whatever endpoint the AWS SDK is pointed at (an emulator such
//! as moto or LocalStack). What exists is left as it is: a catalogue already stored is kept.

use super::error::AwsBackendError;
use crate::serverless::{AwsNames, Wiring};
use aws_sdk_kinesis::types::StreamStatus;
use aws_sdk_sqs::types::QueueAttributeName;
use cakeshop_aws::{AwsClients, DynamoOrders};
use cakeshop_domain::Catalogue;
use cakeshop_ports::{Bakery, Saved};
use serde_json::Value;
use std::time::Duration;

fn failed<E: std::error::Error + Send + Sync + 'static>(what: String) -> impl FnOnce(E) -> AwsBackendError {
    move |error| AwsBackendError::Provision {
        what,
        source: Box::new(error),
    }
}

pub async fn provision(
    aws: &AwsClients,
    wiring: &Wiring,
    names: &AwsNames,
    sender: &str,
) -> Result<(), AwsBackendError> {
    table(aws, &names.table).await?;
    catalogue(aws, &names.table).await?;
    stream(aws, wiring, &names.stream).await?;
    queues(aws, wiring, names).await?;
    let _ = aws.sesv2().create_email_identity().email_identity(sender).send().await;
    Ok(())
}

async fn table(aws: &AwsClients, name: &str) -> Result<(), AwsBackendError> {
    let dynamodb = aws.dynamodb();
    if dynamodb.describe_table().table_name(name).send().await.is_ok() {
        return Ok(());
    }
    cakeshop_aws::dynamodb::order_table::define(dynamodb.create_table().table_name(name))
        .map_err(failed(format!("describing table {name}")))?
        .send()
        .await
        .map_err(failed(format!("creating table {name}")))?;
    cakeshop_aws::dynamodb::order_table::time_to_live(dynamodb.update_time_to_live().table_name(name))
        .map_err(failed(format!("describing the time to live of table {name}")))?
        .send()
        .await
        .map_err(failed(format!("turning on the time to live of table {name}")))?;
    Ok(())
}

/// The sample catalogue at version 1, put only if no catalogue is stored (a conditional put:
/// what the baker changed since survives a second `--provision`).
async fn catalogue(aws: &AwsClients, table: &str) -> Result<(), AwsBackendError> {
    let orders = DynamoOrders::new(aws.dynamodb(), table);
    match orders
        .save_catalogue(&Catalogue::sample(), 0)
        .await
        .map_err(failed(format!("storing the sample catalogue in table {table}")))?
    {
        Saved::Stored { .. } | Saved::Stale => Ok(()),
    }
}

async fn stream(aws: &AwsClients, wiring: &Wiring, name: &str) -> Result<(), AwsBackendError> {
    let kinesis = aws.kinesis();
    if kinesis
        .describe_stream_summary()
        .stream_name(name)
        .send()
        .await
        .is_err()
    {
        let shards = wiring
            .resources
            .get(&wiring.stream.logical_id)
            .and_then(|r| r.pointer("/Properties/ShardCount"))
            .and_then(Value::as_i64)
            .unwrap_or(1) as i32;
        kinesis
            .create_stream()
            .stream_name(name)
            .shard_count(shards)
            .send()
            .await
            .map_err(failed(format!("creating stream {name}")))?;
    }
    for _ in 0..100 {
        let summary = kinesis.describe_stream_summary().stream_name(name).send().await;
        let active = summary
            .ok()
            .and_then(|s| s.stream_description_summary().map(|d| d.stream_status().clone()));
        if active == Some(StreamStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(AwsBackendError::Provision {
        what: format!("waiting for stream {name}"),
        source: "it never became ACTIVE".into(),
    })
}

async fn queues(aws: &AwsClients, wiring: &Wiring, names: &AwsNames) -> Result<(), AwsBackendError> {
    // Dead-letter queues first: a source queue's redrive policy names its DLQ's ARN.
    let mut ordered: Vec<_> = wiring.queues.values().collect();
    ordered.sort_by_key(|q| q.redrive.is_some());
    for queue in ordered {
        let name = queue_name(names, &queue.logical_id)?;
        let sqs = aws.sqs();
        if sqs.get_queue_url().queue_name(name).send().await.is_ok() {
            continue;
        }
        let mut create = sqs.create_queue().queue_name(name).attributes(
            QueueAttributeName::VisibilityTimeout,
            queue.visibility_timeout_seconds.to_string(),
        );
        if let Some(redrive) = &queue.redrive {
            let dlq_name = queue_name(names, &redrive.dead_letter_queue)?;
            let dlq_arn = queue_arn(aws, dlq_name).await?;
            let policy =
                serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": redrive.max_receive_count });
            create = create.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
        }
        create.send().await.map_err(failed(format!("creating queue {name}")))?;
    }
    Ok(())
}

fn queue_name<'n>(names: &'n AwsNames, logical_id: &str) -> Result<&'n String, AwsBackendError> {
    names.queues.get(logical_id).ok_or_else(|| AwsBackendError::Provision {
        what: format!("naming queue {logical_id}"),
        source: "serverless.yml defines no SQS queue by that logical id".into(),
    })
}

async fn queue_arn(aws: &AwsClients, name: &str) -> Result<String, AwsBackendError> {
    let sqs = aws.sqs();
    let url = sqs
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .map_err(failed(format!("finding queue {name}")))?;
    let attributes = sqs
        .get_queue_attributes()
        .set_queue_url(url.queue_url().map(str::to_owned))
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(failed(format!("reading queue {name}")))?;
    attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| AwsBackendError::Provision {
            what: format!("reading queue {name}"),
            source: "no QueueArn".into(),
        })
}
