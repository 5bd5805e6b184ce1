//! The ports' shared contract, run against the AWS adapters on moto (an AWS emulator).
//!
//! Each test starts its own `moto_server` on a free loopback port (installed by `tools/test`
//! into the project's virtualenv) and makes the resources it needs the way the stack does.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kinesis::types::{ShardIteratorType, StreamStatus};
use aws_sdk_ssm::types::ParameterType;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use cakeshop_aws::{
    AwsClients, ConfigError, DynamoOrders, FunctionEnv, KinesisEvents, Secret, SesMailer, SqsQueue, order_table,
};
use cakeshop_domain::{EventKind, OrderId, Timestamp};
use cakeshop_ports::contract::{self, MailboxProbe, QueueProbe, StreamProbe};
use cakeshop_ports::{
    Clock, Email, IdGenerator, OrderRepository, Outbox, OutgoingMessage, QueueSender, SystemClock, TimeOrderedIds,
};
use cakeshop_test_support::MotoServer;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

/// An emulator of the test's own and clients pointed at it.
async fn moto() -> (MotoServer, AwsClients) {
    let server = MotoServer::start();
    let clients = AwsClients::from_config(&server.sdk_config().await);
    (server, clients)
}

/// A name no earlier run used.
fn fresh_name(prefix: &str) -> String {
    format!("{prefix}-{}", TimeOrderedIds.order_id())
}

/// A new order table, made as `cakeshop_aws::order_table` defines it.
async fn orders_table(aws: &AwsClients) -> String {
    let table = fresh_name("orders");
    order_table::define(aws.dynamodb().create_table().table_name(&table))
        .expect("a complete table definition")
        .send()
        .await
        .expect("create the table");
    table
}

#[tokio::test]
async fn dynamo_orders_keep_the_order_repository_contract() {
    let (_moto, aws) = moto().await;
    let table = orders_table(&aws).await;
    contract::order_repository(&DynamoOrders::new(aws.dynamodb(), table)).await;
}

/// The stored item, attribute by attribute, as the table holds it.
async fn raw_item(aws: &AwsClients, table: &str, order_id: &OrderId) -> Option<HashMap<String, AttributeValue>> {
    aws.dynamodb()
        .get_item()
        .table_name(table)
        .key("orderId", AttributeValue::S(order_id.as_str().to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("get the item")
        .item
}

#[tokio::test]
async fn clearing_the_last_mark_takes_the_order_off_the_pending_index() {
    let (_moto, aws) = moto().await;
    let table = orders_table(&aws).await;
    let orders = DynamoOrders::new(aws.dynamodb(), table.clone());
    let order = contract::sample_order();
    orders.create(&order).await.expect("create");

    let marked = raw_item(&aws, &table, &order.order_id).await.expect("stored");
    assert_eq!(marked.get("outboxBucket"), Some(&AttributeValue::S("pending".into())));
    let since = order_outbox_since(&marked);
    assert_eq!(since.len(), "2026-11-21T07:55:15.000Z".len(), "fixed width: {since}");

    orders
        .mark_published(&order.order_id, EventKind::OrderPlaced)
        .await
        .expect("mark published");
    let cleared = raw_item(&aws, &table, &order.order_id).await.expect("stored");
    for attribute in ["pendingEvents", "outboxBucket", "outboxSince"] {
        assert!(!cleared.contains_key(attribute), "{attribute} is gone: {cleared:?}");
    }
    assert_eq!(orders.get(&order.order_id).await.expect("get"), Some(order));
}

fn order_outbox_since(item: &HashMap<String, AttributeValue>) -> String {
    match item.get("outboxSince") {
        Some(AttributeValue::S(since)) => since.clone(),
        other => panic!("outboxSince is a string, not {other:?}"),
    }
}

#[tokio::test]
async fn listing_finishes_a_clearing_interrupted_between_its_two_writes() {
    let (_moto, aws) = moto().await;
    let table = orders_table(&aws).await;
    let orders = DynamoOrders::new(aws.dynamodb(), table.clone());
    let order = contract::sample_order();
    orders.create(&order).await.expect("create");
    // What a crash right after the first write of mark_published leaves: no marks, still listed.
    aws.dynamodb()
        .update_item()
        .table_name(&table)
        .key("orderId", AttributeValue::S(order.order_id.as_str().to_owned()))
        .update_expression("REMOVE pendingEvents")
        .send()
        .await
        .expect("drop the marks");

    let now = SystemClock.now();
    assert_eq!(orders.pending(now.plus_seconds(1), 10).await.expect("pending"), vec![]);
    let item = raw_item(&aws, &table, &order.order_id).await.expect("stored");
    assert!(
        !item.contains_key("outboxBucket") && !item.contains_key("outboxSince"),
        "{item:?}"
    );
}

#[tokio::test]
async fn pending_orders_are_listed_oldest_first_across_pages() {
    let (_moto, aws) = moto().await;
    let table = orders_table(&aws).await;
    let orders = DynamoOrders::new(aws.dynamodb(), table);
    let start = SystemClock.now().plus_seconds(-600);
    // Created out of order, at whole seconds and at fractions of one (which sort differently
    // as text unless written at a fixed width).
    let offsets_ms = [2_500, 0, 1_000, 1_250, 3_000, 500, 2_000];
    let mut placed = Vec::new();
    for offset in offsets_ms {
        let at = Timestamp::from_unix_millis(start.unix_millis() + offset).expect("in range");
        let order = contract::sample_order_placed_at(at);
        orders.create(&order).await.expect("create");
        placed.push((at, order.order_id));
    }
    placed.sort_by_key(|(at, _)| *at);
    let due_before = Timestamp::from_unix_millis(start.unix_millis() + 2_500).expect("in range");

    let listed = orders.pending(due_before, 100).await.expect("pending");
    let expected: Vec<_> = placed.iter().filter(|(at, _)| *at < due_before).cloned().collect();
    let got: Vec<_> = listed.iter().map(|p| (p.since, p.order_id.clone())).collect();
    assert_eq!(got, expected, "strictly before, oldest first");
    assert_eq!(
        orders.pending(due_before, 2).await.expect("pending").len(),
        2,
        "at most the limit"
    );
}
/// Reads every record of every shard from the start.
struct KinesisProbe {
    client: aws_sdk_kinesis::Client,
    stream_name: String,
}

impl StreamProbe for KinesisProbe {
    async fn records(&self) -> Vec<(String, Vec<u8>)> {
        let shards = self
            .client
            .list_shards()
            .stream_name(&self.stream_name)
            .send()
            .await
            .expect("list shards");
        let mut records = Vec::new();
        for shard in shards.shards() {
            let mut iterator = self
                .client
                .get_shard_iterator()
                .stream_name(&self.stream_name)
                .shard_id(shard.shard_id())
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .expect("get a shard iterator")
                .shard_iterator()
                .map(str::to_owned);
            while let Some(current) = iterator {
                let page = self
                    .client
                    .get_records()
                    .shard_iterator(current)
                    .send()
                    .await
                    .expect("get records");
                if page.records().is_empty() {
                    break;
                }
                records.extend(page.records().iter().map(|record| {
                    (
                        record.partition_key().unwrap_or_default().to_owned(),
                        record.data().as_ref().to_vec(),
                    )
                }));
                iterator = page.next_shard_iterator().map(str::to_owned);
            }
        }
        records
    }
}

#[tokio::test]
async fn kinesis_events_keep_the_event_publisher_contract() {
    let (_moto, aws) = moto().await;
    let client = aws.kinesis();
    let stream_name = fresh_name("order-events");
    client
        .create_stream()
        .stream_name(&stream_name)
        .shard_count(1)
        .send()
        .await
        .expect("create the stream");
    for _ in 0..50 {
        let summary = client
            .describe_stream_summary()
            .stream_name(&stream_name)
            .send()
            .await
            .expect("describe the stream");
        if summary
            .stream_description_summary()
            .is_some_and(|s| s.stream_status() == &StreamStatus::Active)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let publisher = KinesisEvents::new(client.clone(), stream_name.clone());
    let probe = KinesisProbe { client, stream_name };
    contract::event_publisher(&publisher, &probe).await;
}

/// Receives and deletes whatever is waiting.
struct SqsProbe {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl QueueProbe for SqsProbe {
    async fn drain(&self) -> Vec<String> {
        let mut bodies = Vec::new();
        loop {
            let received = self
                .client
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .expect("receive messages");
            if received.messages().is_empty() {
                return bodies;
            }
            for message in received.messages() {
                bodies.push(message.body().unwrap_or_default().to_owned());
                if let Some(handle) = message.receipt_handle() {
                    self.client
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .expect("delete a message");
                }
            }
        }
    }
}

#[tokio::test]
async fn sqs_queue_keeps_the_queue_sender_contract() {
    let (_moto, aws) = moto().await;
    let client = aws.sqs();
    let queue_url = client
        .create_queue()
        .queue_name(fresh_name("delivery"))
        .send()
        .await
        .expect("create the queue")
        .queue_url()
        .expect("a new queue has a URL")
        .to_owned();

    let queue = SqsQueue::new(client.clone(), queue_url.clone());
    contract::queue_sender(&queue, &SqsProbe { client, queue_url }).await;
}

#[tokio::test]
async fn a_message_sent_by_the_adapter_is_dead_lettered_after_max_receive_count_receives() {
    use aws_sdk_sqs::types::QueueAttributeName;
    let (_moto, aws) = moto().await;
    let client = aws.sqs();
    let create = |name: String| client.create_queue().queue_name(name);
    let dlq_url = create(fresh_name("delivery-dlq"))
        .send()
        .await
        .expect("create the DLQ")
        .queue_url()
        .expect("url")
        .to_owned();
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("the DLQ's attributes")
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .expect("the DLQ's ARN");
    let policy = serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2 }).to_string();
    let queue_url = create(fresh_name("delivery"))
        .attributes(QueueAttributeName::RedrivePolicy, policy)
        .attributes(QueueAttributeName::VisibilityTimeout, "0")
        .send()
        .await
        .expect("create the queue")
        .queue_url()
        .expect("url")
        .to_owned();
    SqsQueue::new(client.clone(), queue_url.clone())
        .send(OutgoingMessage {
            key: "poison".into(),
            body: "{\"poison\":true}".into(),
        })
        .await
        .expect("send");
    let receive = |url: String| {
        let client = client.clone();
        async move {
            client
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive")
                .messages()
                .len()
        }
    };
    // Received and never deleted (as a consumer that keeps failing would): twice, then no more.
    assert_eq!(receive(queue_url.clone()).await, 1, "first receive");
    assert_eq!(receive(queue_url.clone()).await, 1, "second receive");
    assert_eq!(
        receive(queue_url.clone()).await,
        0,
        "gone from the queue after maxReceiveCount receives"
    );
    assert_eq!(receive(dlq_url.clone()).await, 1, "and in the dead-letter queue");
}

#[tokio::test]
async fn sqs_queue_fails_the_batch_when_no_call_went_through() {
    let (moto, aws) = moto().await;
    let endpoint = moto.endpoint.clone();
    let absent = format!("{endpoint}/123456789012/{}", fresh_name("never-made"));
    let messages: Vec<OutgoingMessage> = (0..13)
        .map(|n| OutgoingMessage {
            key: format!("m{n}"),
            body: "{}".into(),
        })
        .collect();
    let error = SqsQueue::new(aws.sqs(), absent)
        .send_batch(&messages)
        .await
        .expect_err("nothing could be sent");
    assert_eq!(error.operation, "sending messages to SQS");
}

/// Reads what moto's SES accepted (`/moto-api/data.json`) and, since moto keeps only the HTML
/// part of a simple email, the text part and tags from moto's request recorder.
struct MotoMailbox {
    http: reqwest::Client,
    endpoint: String,
}

impl MotoMailbox {
    async fn get_json(&self, path: &str) -> Value {
        let text = self.get(path).await;
        serde_json::from_str(&text).expect("moto answers JSON")
    }

    async fn get(&self, path: &str) -> String {
        self.http
            .get(format!("{}{path}", self.endpoint))
            .send()
            .await
            .expect("reach moto")
            .text()
            .await
            .expect("read moto's answer")
    }

    async fn post(&self, path: &str) {
        self.http
            .post(format!("{}{path}", self.endpoint))
            .send()
            .await
            .expect("reach moto")
            .error_for_status()
            .expect("moto accepts");
    }

    /// Every SESv2 SendEmail request moto recorded, as its JSON body.
    async fn recorded_send_email_requests(&self) -> Vec<Value> {
        let recording = self.get("/moto-api/recorder/download-recording").await;
        recording
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|entry| {
                entry["method"] == "POST"
                    && entry["url"]
                        .as_str()
                        .is_some_and(|url| url.ends_with("/v2/email/outbound-emails"))
            })
            .filter_map(|entry| {
                let body = entry["body"].as_str()?;
                let body = if entry["body_encoded"] == true {
                    BASE64.decode(body).ok()?
                } else {
                    body.as_bytes().to_vec()
                };
                serde_json::from_slice(&body).ok()
            })
            .collect()
    }
}

impl MailboxProbe for MotoMailbox {
    async fn emails(&self) -> Vec<Email> {
        let data = self.get_json("/moto-api/data.json").await;
        let requests = self.recorded_send_email_requests().await;
        let accepted = data["ses"]["Message"].as_array().cloned().unwrap_or_default();
        accepted
            .iter()
            .filter_map(|message| {
                let subject = message["subject"].as_str()?;
                let request = requests
                    .iter()
                    .find(|r| r["Content"]["Simple"]["Subject"]["Data"] == subject)?;
                let simple = &request["Content"]["Simple"];
                let order_id = request["EmailTags"]
                    .as_array()?
                    .iter()
                    .find(|tag| tag["Name"] == cakeshop_aws::mail::ORDER_ID_TAG)?["Value"]
                    .as_str()?;
                Some(Email {
                    to: message["destinations"]["ToAddresses"][0].as_str()?.to_owned(),
                    from: message["source"].as_str()?.to_owned(),
                    subject: subject.to_owned(),
                    text: simple["Body"]["Text"]["Data"].as_str()?.to_owned(),
                    html: message["body"].as_str()?.to_owned(),
                    order_id: OrderId::parse(order_id).ok()?,
                    // SES takes no idempotency key; nothing of it reaches the provider.
                    idempotency_key: String::new(),
                })
            })
            .collect()
    }
}

#[tokio::test]
async fn ses_mailer_keeps_the_mailer_contract() {
    let (moto, aws) = moto().await;
    let endpoint = moto.endpoint.clone();
    aws.sesv2()
        .create_email_identity()
        .email_identity("orders@example.com")
        .send()
        .await
        .expect("create the sender identity");
    let mailbox = MotoMailbox {
        http: reqwest::Client::new(),
        endpoint: endpoint.trim_end_matches('/').to_owned(),
    };
    mailbox.post("/moto-api/recorder/start-recording").await;

    contract::mailer(&SesMailer::new(aws.sesv2()), &mailbox).await;
    mailbox.post("/moto-api/recorder/stop-recording").await;
}

#[tokio::test]
async fn secrets_are_fetched_from_ssm_parameters() {
    let (_moto, aws) = moto().await;
    let parameter = format!("/cakeshop/{}/signing-secret", fresh_name("test"));
    aws.ssm()
        .put_parameter()
        .name(&parameter)
        .value("s3cret from ssm")
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .expect("put the parameter");

    let declared = [
        cakeshop_ports::config::ORDERS_TABLE,
        cakeshop_ports::config::SIGNING_SECRET,
        cakeshop_ports::config::BAKER_API_KEY,
    ];
    let env = FunctionEnv::from_lookup(&declared, |name| match name {
        "ORDERS_TABLE" => Some("orders".into()),
        "SIGNING_SECRET_PARAMETER" => Some(parameter.clone()),
        "BAKER_API_KEY" => Some("given directly".into()),
        _ => None,
    })
    .expect("complete");
    let resolved = aws.resolve(&env).await.expect("fetched");
    assert_eq!(
        resolved.text(cakeshop_ports::config::SIGNING_SECRET).expect("declared"),
        "s3cret from ssm"
    );
    assert_eq!(
        resolved.text(cakeshop_ports::config::BAKER_API_KEY).expect("declared"),
        "given directly"
    );

    let absent = Secret::SsmParameter {
        variable: "BAKER_API_KEY",
        parameter: format!("{parameter}-absent"),
    };
    let error = aws.secret(&absent).await.expect_err("no such parameter");
    assert!(
        matches!(
            &error,
            ConfigError::Parameter {
                variable: "BAKER_API_KEY",
                ..
            }
        ),
        "{error:?}"
    );
}
