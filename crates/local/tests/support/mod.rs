//! What the mapping tests share: a scripted stand-in for a function that records every batch it
//! is given, a store in a temporary directory, consumers built the way `runtime.rs` builds
//! them, and waiting with a deadline.
#![allow(dead_code)] // Each test file uses a different part of it.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_lambda_events::event::streams::KinesisEventResponse;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use cakeshop_local::arn::{queue_arn, stream_arn};
use cakeshop_local::kinesis::{LocalShards, StreamConsumer, StreamFailure};
use cakeshop_local::lambda::{Invoke, InvokeError};
use cakeshop_local::serverless::{QueueMapping, StreamMapping, Trigger, Wiring};
use cakeshop_local::sqs::{LocalMessages, QueueConsumer};
use cakeshop_sqlite::{LocalQueue, LocalStream, Redrive, Store, sequence_number};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The function name the consumers under test invoke.
pub const FUNCTION: &str = "fake-consumer";
/// The stream's logical id, as in `serverless.yml`.
pub const STREAM: &str = "OrderStream";
/// How long any one wait may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(5);

/// One record or message as the function saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// What a batch item failure names: the sequence number, or the message id.
    pub id: String,
    /// Stream records: the shard (from the event id) and the sequence as a number.
    pub shard: Option<u32>,
    pub sequence: i64,
    /// Stream records: the partition key.
    pub key: String,
    /// The record's data, or the message body.
    pub data: String,
    /// Messages: `ApproximateReceiveCount`.
    pub receive_count: u32,
}

/// One invocation as the function saw it.
#[derive(Debug, Clone)]
pub struct Batch {
    pub function: String,
    pub at: Instant,
    pub items: Vec<Item>,
}

impl Batch {
    pub fn sequences(&self) -> Vec<i64> {
        self.items.iter().map(|i| i.sequence).collect()
    }

    pub fn data(&self) -> Vec<&str> {
        self.items.iter().map(|i| i.data.as_str()).collect()
    }

    pub fn has_data(&self, data: &str) -> bool {
        self.items.iter().any(|i| i.data == data)
    }

    pub fn item_with_data(&self, data: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.data == data)
    }
}

/// What the function does with a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Succeed,
    /// Returns a response naming these items (sequence numbers or message ids) as failed.
    Fail(Vec<String>),
    /// Returns an `InvokeError`.
    Error,
    /// Panics (inside the task the invocation runs on, as `functions.rs` runs every handler).
    Panic,
    /// Sleeps this long, then succeeds: past the mapping's timeout, if it is shorter.
    Hang(Duration),
}

#[derive(Debug, Clone)]
pub struct Call {
    pub batch: Batch,
    pub answer: Answer,
}

type Script = Arc<dyn Fn(&Batch) -> Answer + Send + Sync>;

/// A function that records every batch and answers as its script says.
#[derive(Clone)]
pub struct FakeFunction {
    inner: Arc<Inner>,
}

struct Inner {
    script: Mutex<Script>,
    calls: Mutex<Vec<Call>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FakeFunction {
    pub fn new(script: impl Fn(&Batch) -> Answer + Send + Sync + 'static) -> FakeFunction {
        FakeFunction {
            inner: Arc::new(Inner {
                script: Mutex::new(Arc::new(script)),
                calls: Mutex::new(Vec::new()),
            }),
        }
    }

    pub fn succeeding() -> FakeFunction {
        FakeFunction::new(|_| Answer::Succeed)
    }

    pub fn set_script(&self, script: impl Fn(&Batch) -> Answer + Send + Sync + 'static) {
        *lock(&self.inner.script) = Arc::new(script);
    }

    pub fn calls(&self) -> Vec<Call> {
        lock(&self.inner.calls).clone()
    }

    pub fn batches(&self) -> Vec<Batch> {
        self.calls().into_iter().map(|c| c.batch).collect()
    }

    /// Batches the function answered with success.
    pub fn succeeded(&self) -> Vec<Batch> {
        self.calls()
            .into_iter()
            .filter(|c| c.answer == Answer::Succeed)
            .map(|c| c.batch)
            .collect()
    }

    /// Records the batch, asks the script, and acts out the answer on a task of its own; returns
    /// the identifiers reported as failed.
    async fn invoke(&self, batch: Batch) -> Result<Vec<String>, InvokeError> {
        let script = Arc::clone(&lock(&self.inner.script));
        let answer = script(&batch);
        let function = batch.function.clone();
        lock(&self.inner.calls).push(Call {
            batch,
            answer: answer.clone(),
        });
        let name = function.clone();
        let work = tokio::spawn(async move {
            match answer {
                Answer::Succeed => Ok(Vec::new()),
                Answer::Fail(ids) => Ok(ids),
                Answer::Error => Err(InvokeError::Crashed {
                    function: name,
                    message: "scripted error".into(),
                }),
                Answer::Panic => panic!("scripted panic in {name}"),
                Answer::Hang(pause) => {
                    tokio::time::sleep(pause).await;
                    Ok(Vec::new())
                }
            }
        });
        match work.await {
            Ok(result) => result,
            Err(error) => Err(InvokeError::Crashed {
                function,
                message: if error.is_panic() { "panicked" } else { "cancelled" }.into(),
            }),
        }
    }
}

impl Invoke for FakeFunction {
    async fn http(&self, function: &str, _: ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, InvokeError> {
        Err(InvokeError::WrongTrigger {
            function: function.to_owned(),
            kind: "HTTP",
        })
    }

    async fn kinesis(&self, function: &str, event: KinesisEvent) -> Result<KinesisEventResponse, InvokeError> {
        let items = event
            .records
            .iter()
            .map(|record| {
                let shard = record
                    .event_id
                    .as_deref()
                    .and_then(|id| id.split(':').next())
                    .and_then(|shard| shard.rsplit('-').next())
                    .and_then(|n| n.parse().ok());
                Item {
                    id: record.kinesis.sequence_number.clone(),
                    shard,
                    sequence: record
                        .kinesis
                        .sequence_number
                        .parse()
                        .expect("a numeric sequence number"),
                    key: record.kinesis.partition_key.clone(),
                    data: String::from_utf8_lossy(&record.kinesis.data.0).into_owned(),
                    receive_count: 0,
                }
            })
            .collect();
        let batch = Batch {
            function: function.to_owned(),
            at: Instant::now(),
            items,
        };
        let failed = self.invoke(batch).await?;
        let mut response = KinesisEventResponse::default();
        response.set_failures(failed);
        Ok(response)
    }

    /// A scheduled run is a batch of one item carrying the event's detail-type.
    async fn scheduled(
        &self,
        function: &str,
        event: EventBridgeEvent<serde_json::Value>,
    ) -> Result<serde_json::Value, InvokeError> {
        let batch = Batch {
            function: function.to_owned(),
            at: Instant::now(),
            items: vec![Item {
                id: event.detail_type.clone(),
                shard: None,
                sequence: 0,
                key: String::new(),
                data: event.detail_type,
                receive_count: 0,
            }],
        };
        match self.invoke(batch).await?.as_slice() {
            [] => Ok(serde_json::json!({})),
            _ => Err(InvokeError::Failed {
                function: function.to_owned(),
                message: "the scheduled run failed".into(),
            }),
        }
    }

    async fn sqs(&self, function: &str, event: SqsEvent) -> Result<SqsBatchResponse, InvokeError> {
        let items = event
            .records
            .iter()
            .map(|message| Item {
                id: message.message_id.clone().unwrap_or_default(),
                shard: None,
                sequence: 0,
                key: String::new(),
                data: message.body.clone().unwrap_or_default(),
                receive_count: message
                    .attributes
                    .get("ApproximateReceiveCount")
                    .and_then(|n| n.parse().ok())
                    .expect("an ApproximateReceiveCount"),
            })
            .collect();
        let batch = Batch {
            function: function.to_owned(),
            at: Instant::now(),
            items,
        };
        let failed = self.invoke(batch).await?;
        let mut response = SqsBatchResponse::default();
        response.set_failures(failed);
        Ok(response)
    }
}

/// A store in a temporary directory (removed when this is dropped).
pub struct Shop {
    pub store: Store,
    pub stream: LocalStream,
    _dir: TempDir,
}

impl Shop {
    pub fn new(shards: u32) -> Shop {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path(), shards).expect("the store");
        Shop {
            stream: LocalStream::new(store.clone()),
            store,
            _dir: dir,
        }
    }

    pub fn queue(&self, name: &str) -> LocalQueue {
        LocalQueue::new(self.store.clone(), name)
    }

    /// Puts a record and returns its sequence number.
    pub fn put(&self, key: &str, data: &str) -> i64 {
        self.stream.put(key, data.as_bytes()).expect("put").1
    }

    pub fn checkpoint(&self, shard: u32) -> i64 {
        self.stream.checkpoint(FUNCTION, shard).expect("checkpoint")
    }

    /// The on-failure records in `queue`, parsed.
    pub fn failures(&self, queue: &str) -> Vec<StreamFailure> {
        self.queue(queue)
            .list()
            .expect("list")
            .iter()
            .map(|m| serde_json::from_str(&m.body).expect("a StreamFailure"))
            .collect()
    }

    /// Starts a stream consumer for `FUNCTION` on `mapping`, built as `dev::mappings::start_all`
    /// builds one from `serverless.yml` (the mapping here is the test's own).
    pub fn start_stream_consumer(&self, mapping: StreamMapping, timeout: Duration, invoker: FakeFunction) {
        Arc::new(StreamConsumer {
            function: FUNCTION.to_owned(),
            timeout,
            stream: LocalShards::new(self.stream.clone()),
            stream_arn: stream_arn(STREAM),
            on_failure: mapping.on_failure_queue.as_ref().map(|q| self.queue(q)),
            mapping,
            invoker,
        })
        .start(&cakeshop_local::stopping::Stopping::default());
    }

    /// Starts a queue consumer for `FUNCTION` on `mapping.queue`.
    pub fn start_queue_consumer(
        &self,
        mapping: QueueMapping,
        visibility_ms: i64,
        redrive: Option<Redrive>,
        invoker: FakeFunction,
        concurrency: usize,
    ) {
        Arc::new(QueueConsumer {
            function: FUNCTION.to_owned(),
            timeout: Duration::from_secs(5),
            queue: LocalMessages {
                queue: self.queue(&mapping.queue),
                visibility_ms,
                redrive,
            },
            queue_arn: queue_arn(&mapping.queue),
            mapping,
            invoker,
            concurrency,
        })
        .start(&cakeshop_local::stopping::Stopping::default());
    }
}

/// A stream mapping with AWS's defaults where the tests do not care: batches of 10, no window,
/// no filter, ReportBatchItemFailures, no bisect, retries until the record expires.
pub fn stream_mapping() -> StreamMapping {
    StreamMapping {
        batch_size: 10,
        batching_window_ms: 0,
        filters: Vec::new(),
        report_batch_item_failures: true,
        bisect_on_error: false,
        maximum_retry_attempts: None,
        maximum_record_age_seconds: None,
        on_failure_queue: None,
    }
}

pub fn queue_mapping(queue: &str) -> QueueMapping {
    QueueMapping {
        queue: queue.to_owned(),
        batch_size: 10,
        batching_window_ms: 0,
        report_batch_item_failures: true,
    }
}

/// The wiring `dead_letters::redrive` needs: `FUNCTION` on `mapping` and the queues named.
pub fn wiring(trigger: Option<Trigger>, queues: Vec<cakeshop_local::serverless::QueueSpec>) -> Wiring {
    Wiring {
        service: "cakeshop".to_owned(),
        resources: Default::default(),
        functions: vec![cakeshop_local::serverless::Function {
            name: FUNCTION.to_owned(),
            timeout_seconds: 5,
            routes: Vec::new(),
            trigger,
            environment: Default::default(),
        }],
        queues: queues.into_iter().map(|q| (q.logical_id.clone(), q)).collect(),
        stream: cakeshop_local::serverless::StreamSpec {
            logical_id: STREAM.to_owned(),
            retention_hours: 24,
        },
    }
}

/// The sequence number as the function sees it (and names it in a failure).
pub fn seq(sequence: i64) -> String {
    sequence_number(sequence)
}

/// Polls `check` until it gives a value; fails the test after `DEADLINE`.
pub async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let polling = async {
        loop {
            if let Some(value) = check() {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    match tokio::time::timeout(DEADLINE, polling).await {
        Ok(value) => value,
        Err(_) => panic!("waited {DEADLINE:?} for {what}"),
    }
}

/// Lets the consumers run a while, to show that something does *not* happen.
pub async fn settle(pause: Duration) {
    tokio::time::sleep(pause).await;
}

/// A partition key of `shards` that lands on `shard`.
pub fn key_on_shard(shard: u32, shards: u32, prefix: &str) -> String {
    (0..)
        .map(|n| format!("{prefix}-{n}"))
        .find(|key| cakeshop_sqlite::shard_for(key, shards) == shard)
        .expect("some key lands on every shard")
}
