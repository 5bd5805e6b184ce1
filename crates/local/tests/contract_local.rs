//! The local implementations of the ports keep the same contract as the AWS adapters: this
//! runs the shared suite (`cakeshop_ports::contract`) against the SQLite store and the partner
//! stand-in of a running local shop.

use cakeshop_aws::HttpPartner;
use cakeshop_domain::OrderId;
use cakeshop_local::{DevOptions, start};
use cakeshop_ports::contract::{self, MailboxProbe, PartnerProbe, QueueProbe, StreamProbe};
use cakeshop_ports::{Email, PartnerCall};
use cakeshop_sqlite::{LocalMailer, LocalOrders, LocalQueue, LocalStream, Store};
use std::path::PathBuf;
use std::time::Duration;

struct Probes {
    stream: LocalStream,
    queue: LocalQueue,
    mailer: LocalMailer,
    store: Store,
}

impl StreamProbe for Probes {
    async fn records(&self) -> Vec<(String, Vec<u8>)> {
        let mut records = self.stream.all_records().expect("records");
        records.sort_by_key(|r| r.arrived_ms);
        records.into_iter().map(|r| (r.partition_key, r.data)).collect()
    }
}

impl QueueProbe for Probes {
    async fn drain(&self) -> Vec<String> {
        let messages = self.queue.receive(100, 30_000, None).await.expect("receive");
        for message in &messages {
            self.queue.delete(message).await.expect("delete");
        }
        messages.into_iter().map(|m| m.body).collect()
    }
}

impl MailboxProbe for Probes {
    async fn emails(&self) -> Vec<Email> {
        self.mailer
            .all()
            .expect("mailbox")
            .into_iter()
            .map(|e| Email {
                to: e.to,
                from: e.from,
                subject: e.subject,
                text: e.text,
                html: e.html,
                order_id: OrderId::parse(&e.order_id).expect("order id"),
                idempotency_key: String::new(),
            })
            .collect()
    }
}

impl PartnerProbe for Probes {
    async fn calls(&self) -> Vec<PartnerCall> {
        self.store
            .partner_calls("delivery")
            .expect("calls")
            .into_iter()
            .map(|c| PartnerCall {
                idempotency_key: c.idempotency_key,
                body: c.body.to_string(),
            })
            .collect()
    }
}

#[tokio::test]
async fn the_local_store_passes_the_port_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), 4).expect("store");
    let probes = Probes {
        stream: LocalStream::new(store.clone()),
        queue: LocalQueue::new(store.clone(), "ContractQueue"),
        mailer: LocalMailer::new(store.clone()),
        store: store.clone(),
    };
    contract::order_repository(&LocalOrders::new(store.clone())).await;
    contract::event_publisher(&probes.stream, &probes).await;
    contract::queue_sender(&probes.queue, &probes).await;
    contract::mailer(&probes.mailer, &probes).await;
}

#[tokio::test]
async fn the_partner_stand_in_passes_the_partner_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../serverless.yml"));
    let shop = start(DevOptions::new(0, dir.path().to_owned(), config))
        .await
        .expect("shop starts");
    let client = HttpPartner::new(&shop.delivery_api_url, Duration::from_secs(5)).expect("client");
    let probes = Probes {
        stream: LocalStream::new(shop.store.clone()),
        queue: LocalQueue::new(shop.store.clone(), "unused"),
        mailer: LocalMailer::new(shop.store.clone()),
        store: shop.store.clone(),
    };
    contract::partner_client(&client, &probes).await;
}
