//! A poison record over a real `cakeshop dev` process: a record that passes notify-baker's
//! filter but is no event any handler can read is written straight into the stream while the
//! shop runs, with a real order behind it on the same shard. The poison goes to notify-baker's
//! on-failure queue after exactly the retries `serverless.yml` allows, and the order behind it
//! still gets its email (without waiting for those retries: it has another partition key).

use crate::support::{DevProcess, eventually, project_file};
use cakeshop_local::kinesis::{FailureCondition, StreamFailure};
use cakeshop_local::serverless::{Trigger, read_serverless_yml};
use cakeshop_sqlite::{LocalQueue, LocalStream, Store, sequence_number};
use serde_json::json;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_record_goes_to_the_on_failure_queue_and_the_order_behind_it_is_mailed() {
    let config = project_file("serverless.yml");
    let wiring = read_serverless_yml(&config).expect("usable wiring");
    let Some(Trigger::Stream(mapping)) = wiring.function("notify-baker").and_then(|f| f.trigger.clone()) else {
        panic!("notify-baker has a stream trigger");
    };
    let max_retries = mapping.maximum_retry_attempts.expect("bounded retries");
    let on_failure = mapping.on_failure_queue.expect("an on-failure queue");

    // One shard, so that the poison and the order share it.
    let data = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start_with(data.path(), &config, &["--shards", "1"], &[]);
    let store = Store::open(data.path(), 1).expect("the shop's store, from this process too");

    // Passes the filter (type order_placed) but is no order_placed event.
    let poison = json!({ "type": "order_placed", "orderId": "poison", "order": "not an order" }).to_string();
    let (_, poison_sequence) = LocalStream::new(store.clone())
        .put("poison", poison.as_bytes())
        .expect("put");
    // Junk no filter lets through is passed over without a retry, as on AWS.
    LocalStream::new(store.clone())
        .put("junk", b"\xff not even JSON")
        .expect("put");
    let (status, placed) = shop.place("Behind The Poison").await;
    assert_eq!(status, 201, "{placed}");
    let order_id = placed["orderId"].as_str().expect("orderId").to_owned();

    eventually("the order's email", PATIENCE, || async {
        shop.mail()
            .await
            .into_iter()
            .find(|m| m["orderId"] == order_id.as_str())
    })
    .await;
    // The order's email need not wait for the poison's retries (another partition key), so
    // the poison reaches the on-failure queue in its own time.
    let on_failure_queue = LocalQueue::new(store.clone(), on_failure.clone());
    eventually("the poison in the on-failure queue", PATIENCE, || async {
        let failures = on_failure_queue.list().expect("the on-failure queue");
        (!failures.is_empty()).then_some(())
    })
    .await;
    let failures = on_failure_queue.list().expect("the on-failure queue");
    assert_eq!(failures.len(), 1, "only the poison: {failures:?}");
    let failure: StreamFailure = serde_json::from_str(&failures[0].body).expect("a stream failure record");
    assert_eq!(failure.batch.start_sequence_number, sequence_number(poison_sequence));
    assert_eq!(failure.batch.end_sequence_number, sequence_number(poison_sequence));
    assert_eq!(failure.batch.batch_size, 1);
    assert_eq!(
        failure.request_context.condition,
        FailureCondition::RetryAttemptsExhausted
    );
    assert_eq!(
        failure.request_context.approximate_invoke_count,
        max_retries + 1,
        "tried once, then retried maximumRetryAttempts times"
    );
    assert!(
        failure.request_context.function_arn.ends_with("notify-baker"),
        "{failure:?}"
    );
}
