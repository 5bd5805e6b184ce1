//! The partner stand-in of a running local shop keeps the partner contract the AWS side's
//! HTTP client is held to (`cakeshop_ports::contract`); the store's ports are proved in
//! `cakeshop-sqlite`'s own contract test.

use cakeshop_aws::HttpPartner;
use cakeshop_local::{DevOptions, start};
use cakeshop_ports::PartnerCall;
use cakeshop_ports::contract::{self, PartnerProbe};
use cakeshop_sqlite::Store;
use std::path::PathBuf;
use std::time::Duration;

struct Probes {
    store: Store,
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
async fn the_partner_stand_in_passes_the_partner_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../serverless.yml"));
    let free = "127.0.0.1:0".parse().expect("an address");
    let shop = start(DevOptions::new(free, 0, dir.path().to_owned(), config))
        .await
        .expect("shop starts");
    let client = HttpPartner::new(&shop.delivery_api_url, Duration::from_secs(5)).expect("client");
    let probes = Probes {
        store: shop.store.clone(),
    };
    contract::partner_client(&client, &probes).await;
}
