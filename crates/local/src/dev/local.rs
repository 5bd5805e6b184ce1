//! The local backend: every function on the embedded store's adapters, and its stream and
//! queues as the mappings' sources.

use super::error::DevError;
use super::mappings::MappingSources;
use super::options::DevOptions;
use super::ports::{Adapters, Endpoints, assemble};
use super::secrets::LocalSecrets;
use crate::arn::queue_arn;
use crate::kinesis::LocalShards;
use crate::lambda::Functions;
use crate::serverless::{QueueSpec, Wiring, WiringError};
use crate::sqs::LocalMessages;
use cakeshop_ports::{Clock, SystemClock};
use cakeshop_sqlite::{LocalMailer, LocalOrders, LocalQueue, LocalStream, Redrive, Store};
use std::time::Duration;

pub fn local_functions(
    options: &DevOptions,
    wiring: &Wiring,
    store: &Store,
    secrets: &LocalSecrets,
    endpoints: &Endpoints,
) -> Result<Functions, DevError> {
    let adapters = LocalAdapters {
        store: store.clone(),
        relayed_mail: options.smtp_url.is_some(),
    };
    assemble(options, wiring, secrets, endpoints, adapters)
}

/// The local store's adapters.
struct LocalAdapters {
    store: Store,
    /// Whether emails are also owed to an SMTP server.
    relayed_mail: bool,
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
        if self.relayed_mail {
            LocalMailer::relayed(self.store.clone())
        } else {
            LocalMailer::new(self.store.clone())
        }
    }
}

/// The local store as the mappings' sources.
pub struct LocalSources {
    pub store: Store,
    pub stream_arn: String,
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

/// Drops stream records older than the stream's retention, and the client limits' counters
/// whose window has ended, once a minute.
pub fn start_retention(wiring: &Wiring, store: &Store) {
    let stream = LocalStream::new(store.clone());
    let store = store.clone();
    let retention_ms = wiring.stream.retention_hours as i64 * 3_600_000;
    tokio::spawn(async move {
        loop {
            if let Err(error) = stream.trim_before(cakeshop_sqlite::now_millis() - retention_ms) {
                tracing::warn!(error = %cakeshop_ports::error_chain(&error), "trimming the stream failed");
            }
            // What DynamoDB's time to live does for the client limits' counters.
            if let Err(error) = cakeshop_sqlite::forget_ended_windows(&store, SystemClock.now()).await {
                tracing::warn!(error = %cakeshop_ports::error_chain(&error), "forgetting ended limit windows failed");
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    });
}
