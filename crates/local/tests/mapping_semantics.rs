//! The event source mappings of `cakeshop dev` behave like Lambda's, guarantee by guarantee.
//!
//! Each test runs real consumers over a real store (SQLite in a temporary directory) and feeds
//! them to a scripted function (`support::FakeFunction`) that records every batch it receives
//! and succeeds, reports batch-item failures, returns an error, panics or hangs, as the test
//! says. Waits poll with a deadline; no test sleeps for long.

use crate::support;

use crate::support::*;
use cakeshop_domain::{OrderEvent, OrderId, Timestamp};
use cakeshop_local::dead_letters;
use cakeshop_local::kinesis::FailureCondition;
use cakeshop_local::kinesis::FilterPattern;
use cakeshop_local::kinesis::shard_id;
use cakeshop_local::serverless::{QueueSpec, RedriveSpec, StreamMapping, Trigger, read_serverless_yml};
use cakeshop_sqlite::Redrive;
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(5);

/// Runs a test body, failing it rather than hanging if it takes too long.
async fn within<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), test)
        .await
        .expect("the test finished in time")
}

fn record(n: i64) -> String {
    json!({ "n": n }).to_string()
}

// ------------------------------------------------------------------ 1. partial batch failure

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_batch_failure_retries_from_the_lowest_failed_record_and_never_before_it() {
    within(async {
        let shop = Shop::new(1);
        for n in 1..=6 {
            shop.put("order-1", &record(n));
        }
        // Call 1 reports records 5 and 4 (lowest: 4); call 2 reports 5; then all is well.
        // Each call also notes the checkpoint the mapping had stored when it was made.
        let calls = Arc::new(AtomicUsize::new(0));
        let checkpoints = Arc::new(Mutex::new(Vec::new()));
        let function = {
            let stream = shop.stream.clone();
            let (calls, checkpoints) = (calls.clone(), checkpoints.clone());
            FakeFunction::new(move |_| {
                checkpoints
                    .lock()
                    .unwrap()
                    .push(stream.checkpoint(FUNCTION, 0).unwrap());
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0 => Answer::Fail(vec![seq(5), seq(4)]),
                    1 => Answer::Fail(vec![seq(5)]),
                    _ => Answer::Succeed,
                }
            })
        };
        let mapping = StreamMapping {
            maximum_retry_attempts: Some(5),
            ..stream_mapping()
        };
        shop.start_stream_consumer(mapping, TIMEOUT, function.clone());

        eventually("the checkpoint past every record", || {
            (shop.checkpoint(0) == 6).then_some(())
        })
        .await;
        settle(Duration::from_millis(200)).await;
        let batches: Vec<Vec<i64>> = function.batches().iter().map(|b| b.sequences()).collect();
        assert_eq!(batches, vec![vec![1, 2, 3, 4, 5, 6], vec![4, 5, 6], vec![5, 6]]);
        // While record 4 (then 5) was being retried, the stored checkpoint stayed before it.
        assert_eq!(*checkpoints.lock().unwrap(), vec![0, 3, 4]);
    })
    .await;
}

// ------------------------------------------------- 2. failures without ReportBatchItemFailures

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_report_batch_item_failures_a_response_naming_failures_is_a_success() {
    within(async {
        let shop = Shop::new(1);
        for n in 1..=5 {
            shop.put("order-1", &record(n));
        }
        let function = FakeFunction::new(|_| Answer::Fail(vec![seq(2)]));
        let mapping = StreamMapping {
            report_batch_item_failures: false,
            maximum_retry_attempts: Some(5),
            ..stream_mapping()
        };
        shop.start_stream_consumer(mapping, TIMEOUT, function.clone());

        eventually("the checkpoint past every record", || {
            (shop.checkpoint(0) == 5).then_some(())
        })
        .await;
        // Longer than the first retry's back-off: a retry would have shown by now.
        settle(Duration::from_millis(300)).await;
        let batches: Vec<Vec<i64>> = function.batches().iter().map(|b| b.sequences()).collect();
        assert_eq!(batches, vec![vec![1, 2, 3, 4, 5]]);
    })
    .await;
}

// ------------------------------------------------------------------------- 3. bisect on error

/// One poison record at `poison` (1..=8) in a batch of 8.
async fn bisect_with_poison_at(poison: i64) {
    let shop = Shop::new(1);
    let poison_data = json!({ "n": poison, "poison": true }).to_string();
    for n in 1..=8 {
        shop.put("order-1", &if n == poison { poison_data.clone() } else { record(n) });
    }
    let function = {
        let poison_data = poison_data.clone();
        FakeFunction::new(move |batch| {
            if batch.has_data(&poison_data) {
                Answer::Error
            } else {
                Answer::Succeed
            }
        })
    };
    let mapping = StreamMapping {
        batch_size: 8,
        bisect_on_error: true,
        maximum_retry_attempts: Some(2),
        on_failure_queue: Some(ON_FAILURE.into()),
        ..stream_mapping()
    };
    shop.start_stream_consumer(mapping, TIMEOUT, function.clone());

    let failure = eventually("the on-failure record", || shop.failures(ON_FAILURE).pop()).await;
    eventually("the checkpoint past the batch", || {
        (shop.checkpoint(0) == 8).then_some(())
    })
    .await;

    // The batches holding the poison halve until it stands alone, then the single-record batch
    // is tried maximumRetryAttempts + 1 times; each is a part of the one before.
    let poisoned: Vec<Vec<i64>> = function
        .batches()
        .iter()
        .filter(|b| b.has_data(&poison_data))
        .map(|b| b.sequences())
        .collect();
    let sizes: Vec<usize> = poisoned.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![8, 4, 2, 1, 1, 1], "poison at {poison}: {poisoned:?}");
    for pair in poisoned.windows(2) {
        assert!(
            pair[1].iter().all(|s| pair[0].contains(s)),
            "poison at {poison}: {poisoned:?}"
        );
    }
    assert_eq!(poisoned.last(), Some(&vec![poison]));

    // Every good record was handled exactly once, in order.
    let handled: Vec<i64> = function.succeeded().iter().flat_map(|b| b.sequences()).collect();
    let good: Vec<i64> = (1..=8).filter(|&n| n != poison).collect();
    assert_eq!(handled, good, "poison at {poison}");

    // The poison alone went to the on-failure destination, after 3 attempts.
    assert_eq!(shop.failures(ON_FAILURE).len(), 1);
    assert_eq!(
        failure.request_context.condition,
        FailureCondition::RetryAttemptsExhausted
    );
    assert_eq!(failure.request_context.approximate_invoke_count, 3);
    assert_eq!(failure.batch.start_sequence_number, seq(poison));
    assert_eq!(failure.batch.end_sequence_number, seq(poison));
    assert_eq!(failure.batch.batch_size, 1);

    // And the shard moved on.
    let next = shop.put("order-1", &record(9));
    eventually("the next record handled", || {
        function
            .succeeded()
            .iter()
            .any(|b| b.sequences() == vec![next])
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bisect_on_function_error_halves_batches_until_the_poison_record_stands_alone() {
    within(futures::future::join_all((1..=8).map(bisect_with_poison_at))).await;
}

// ------------------------------------------- 4. retries, then on-failure (and 11. redrive)

const ON_FAILURE: &str = "Failures";

fn retrying_mapping() -> StreamMapping {
    StreamMapping {
        maximum_retry_attempts: Some(2),
        on_failure_queue: Some(ON_FAILURE.into()),
        ..stream_mapping()
    }
}

/// Three bad records on shard 1 of 2 that the function always fails on; returns once the
/// on-failure record is written and two later records went through.
async fn give_up_on_a_failing_batch() -> (Shop, FakeFunction, String) {
    let shop = Shop::new(2);
    let key = key_on_shard(1, 2, "order");
    for n in 1..=3 {
        shop.put(&key, &json!({ "n": n, "bad": true }).to_string());
    }
    let function = FakeFunction::new(|batch| {
        if batch.items.iter().any(|i| i.data.contains("bad")) {
            Answer::Error
        } else {
            Answer::Succeed
        }
    });
    shop.start_stream_consumer(retrying_mapping(), TIMEOUT, function.clone());

    let failure = eventually("the on-failure record", || shop.failures(ON_FAILURE).pop()).await;
    let attempts: Vec<Vec<i64>> = function.batches().iter().map(|b| b.sequences()).collect();
    assert_eq!(
        attempts,
        vec![vec![1, 2, 3]; 3],
        "maximumRetryAttempts (2) + 1 invocations"
    );
    assert_eq!(failure.batch.shard_id, shard_id(1));
    assert_eq!(failure.batch.start_sequence_number, seq(1));
    assert_eq!(failure.batch.end_sequence_number, seq(3));
    assert_eq!(failure.batch.batch_size, 3);
    assert_eq!(
        failure.request_context.condition,
        FailureCondition::RetryAttemptsExhausted
    );
    assert_eq!(failure.request_context.approximate_invoke_count, 3);

    // Processing goes on with later records; the bad ones are not tried again.
    shop.put(&key, &record(4));
    shop.put(&key, &record(5));
    eventually("the later records handled", || (shop.checkpoint(1) == 5).then_some(())).await;
    settle(Duration::from_millis(200)).await;
    let later: Vec<i64> = function.batches()[3..].iter().flat_map(|b| b.sequences()).collect();
    assert_eq!(later, vec![4, 5]);
    assert_eq!(shop.failures(ON_FAILURE).len(), 1);
    (shop, function, key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_batch_is_retried_maximum_retry_attempts_times_then_sent_to_the_on_failure_queue() {
    within(give_up_on_a_failing_batch()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redriving_a_stream_failure_replays_its_records_and_removes_the_pointer() {
    within(async {
        let (shop, function, key) = give_up_on_a_failing_batch().await;
        let wiring = wiring(
            Some(Trigger::Stream(retrying_mapping())),
            vec![QueueSpec {
                logical_id: ON_FAILURE.into(),
                visibility_timeout_seconds: 30,
                redrive: None,
            }],
        );
        function.set_script(|_| Answer::Succeed);
        let before = function.calls().len();

        let report = dead_letters::redrive(&wiring, &shop.store, &function, ON_FAILURE)
            .await
            .expect("redrive");
        assert_eq!(report.replayed, 1);
        assert_eq!((report.failed, report.expired), (0, 0));
        let replayed = &function.calls()[before..];
        assert_eq!(replayed.len(), 1);
        assert_eq!(replayed[0].batch.function, FUNCTION);
        assert_eq!(replayed[0].batch.sequences(), vec![1, 2, 3]);
        assert!(
            replayed[0]
                .batch
                .items
                .iter()
                .all(|i| i.key == key && i.shard == Some(1))
        );
        assert!(shop.failures(ON_FAILURE).is_empty(), "the pointer is removed");
    })
    .await;
}

/// The project's request-delivery mapping, as `serverless.yml` gives it.
fn request_delivery_mapping() -> StreamMapping {
    let wiring = read_serverless_yml(std::path::Path::new(PROJECT_SERVERLESS_YML)).expect("usable wiring");
    match wiring.function("request-delivery").and_then(|f| f.trigger.clone()) {
        Some(Trigger::Stream(mapping)) => mapping,
        other => panic!("request-delivery has a stream trigger, not {other:?}"),
    }
}

/// Like the project's Kinesis handlers: records in order, decoded with the domain's decoder,
/// stopping at the first that cannot be read and reporting it.
fn decode_in_order(batch: &support::Batch) -> Answer {
    match batch
        .items
        .iter()
        .find(|item| OrderEvent::decode(item.data.as_bytes()).is_err())
    {
        Some(unreadable) => Answer::Fail(vec![unreadable.id.clone()]),
        None => Answer::Succeed,
    }
}

/// What the function got done: a whole successful batch, a failed one up to its failure.
fn handled_sequences(function: &FakeFunction) -> Vec<(u32, i64)> {
    let mut handled = Vec::new();
    for call in function.calls() {
        let done = match &call.answer {
            Answer::Succeed => call.batch.items.len(),
            Answer::Fail(ids) => call.batch.items.iter().take_while(|i| i.id != ids[0]).count(),
            _ => 0,
        };
        handled.extend(
            call.batch.items[..done]
                .iter()
                .map(|i| (i.shard.unwrap_or_default(), i.sequence)),
        );
    }
    handled.sort();
    handled
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_no_handler_can_decode_goes_alone_to_the_on_failure_queue_and_its_shard_flows_on() {
    within(async {
        let mapping = request_delivery_mapping();
        let max_retries = mapping
            .maximum_retry_attempts
            .expect("serverless.yml bounds the retries");
        let on_failure = mapping
            .on_failure_queue
            .clone()
            .expect("serverless.yml names an on-failure queue");
        let shop = Shop::new(2);
        let poisoned_key = key_on_shard(0, 2, "order");
        let other_key = key_on_shard(1, 2, "order");
        let fulfilled = |key: &str| {
            let order_id = OrderId::parse(key).expect("an order id");
            let at = Timestamp::from_unix_millis(1_700_000_000_000).expect("a time");
            String::from_utf8(OrderEvent::order_fulfilled(&order_id, at).encode().expect("encodes")).expect("UTF-8")
        };
        // It passes the mapping's filter (type order_fulfilled) but is no event: no orderId
        // string, no eventId, no time.
        let poison = json!({ "type": "order_fulfilled", "orderId": 42 }).to_string();
        assert!(OrderEvent::decode(poison.as_bytes()).is_err());
        shop.put(&poisoned_key, &fulfilled(&poisoned_key));
        shop.put(&poisoned_key, &fulfilled(&poisoned_key));
        let poison_sequence = shop.put(&poisoned_key, &poison);
        shop.put(&poisoned_key, &fulfilled(&poisoned_key));
        shop.put(&poisoned_key, &fulfilled(&poisoned_key));
        let function = FakeFunction::new(decode_in_order);
        shop.start_stream_consumer(mapping, TIMEOUT, function.clone());

        // While its shard retries the poison, the other shard's records go through.
        eventually("the first attempt at the poison", || {
            function.batches().iter().any(|b| b.has_data(&poison)).then_some(())
        })
        .await;
        for _ in 0..3 {
            shop.put(&other_key, &fulfilled(&other_key));
        }
        eventually("the other shard's records", || {
            let handled = handled_sequences(&function);
            (handled.iter().filter(|(shard, _)| *shard == 1).count() == 3).then_some(())
        })
        .await;
        assert!(
            shop.failures(&on_failure).is_empty(),
            "the poison was still being retried"
        );

        // After maximumRetryAttempts retries, the poison alone goes to the on-failure queue...
        let failure = eventually("the on-failure record", || shop.failures(&on_failure).pop()).await;
        assert_eq!(failure.batch.shard_id, shard_id(0));
        assert_eq!(failure.batch.start_sequence_number, seq(poison_sequence));
        assert_eq!(failure.batch.end_sequence_number, seq(poison_sequence));
        assert_eq!(failure.batch.batch_size, 1);
        assert_eq!(
            failure.request_context.condition,
            FailureCondition::RetryAttemptsExhausted
        );
        assert_eq!(failure.request_context.approximate_invoke_count, max_retries + 1);
        let attempts = function.batches().iter().filter(|b| b.has_data(&poison)).count();
        assert_eq!(
            attempts,
            max_retries as usize + 1,
            "tried once, retried maximumRetryAttempts times"
        );

        // ...and the records behind it on its shard are handled, each once.
        eventually("the shard past every record", || {
            (shop.checkpoint(0) == 5).then_some(())
        })
        .await;
        settle(Duration::from_millis(200)).await;
        let expected: Vec<(u32, i64)> = [(0, 1), (0, 2), (0, 4), (0, 5), (1, 1), (1, 2), (1, 3)].into();
        assert_eq!(handled_sequences(&function), expected);
        assert_eq!(shop.failures(&on_failure).len(), 1);
    })
    .await;
}

// ------------------------------------------------- 5. panics and timeouts, other shards flow

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_and_timeouts_are_function_errors_and_other_shards_keep_flowing() {
    within(async {
        let shop = Shop::new(2);
        let stuck_key = key_on_shard(0, 2, "stuck");
        let flowing_key = key_on_shard(1, 2, "flowing");
        // Attempts at the bad record: panic, hang past the timeout, panic, hang.
        let attempts = Arc::new(AtomicUsize::new(0));
        let function = {
            let attempts = attempts.clone();
            FakeFunction::new(move |batch| {
                if !batch.has_data("bad") {
                    return Answer::Succeed;
                }
                match attempts.fetch_add(1, Ordering::SeqCst) % 2 {
                    0 => Answer::Panic,
                    _ => Answer::Hang(Duration::from_secs(3)),
                }
            })
        };
        let mapping = StreamMapping {
            maximum_retry_attempts: Some(3),
            on_failure_queue: Some(ON_FAILURE.into()),
            ..stream_mapping()
        };
        shop.start_stream_consumer(mapping, Duration::from_millis(100), function.clone());

        shop.put(&stuck_key, "bad");
        eventually("the first (panicking) attempt", || {
            (attempts.load(Ordering::SeqCst) >= 1).then_some(())
        })
        .await;
        // While shard 0 retries, shard 1's records go through.
        for n in 1..=3 {
            shop.put(&flowing_key, &record(n));
        }
        eventually("the other shard's records", || {
            let handled: Vec<i64> = function
                .succeeded()
                .iter()
                .filter(|b| b.items.iter().all(|i| i.key == flowing_key))
                .flat_map(|b| b.sequences())
                .collect();
            (handled == vec![1, 2, 3]).then_some(())
        })
        .await;
        assert!(shop.failures(ON_FAILURE).is_empty(), "shard 0 was still retrying");
        assert_eq!(shop.checkpoint(0), 0);

        // The panics and timeouts counted as failed attempts: after 4 of them, on-failure.
        let failure = eventually("the on-failure record", || shop.failures(ON_FAILURE).pop()).await;
        assert_eq!(failure.batch.shard_id, shard_id(0));
        assert_eq!(failure.request_context.approximate_invoke_count, 4);
        let stuck: Vec<Vec<i64>> = function
            .batches()
            .iter()
            .filter(|b| b.has_data("bad"))
            .map(|b| b.sequences())
            .collect();
        assert_eq!(stuck, vec![vec![1]; 4]);

        // And shard 0 moves on: its consumer survived the panics.
        let next = shop.put(&stuck_key, &record(2));
        eventually("shard 0's next record", || {
            function
                .succeeded()
                .iter()
                .any(|b| b.items.iter().any(|i| i.key == stuck_key && i.sequence == next))
                .then_some(())
        })
        .await;
    })
    .await;
}

// -------------------------------------------------------------------- 6. maximum record age

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_older_than_the_maximum_age_go_to_the_on_failure_queue_unprocessed() {
    within(async {
        let shop = Shop::new(1);
        let two_minutes_ago = cakeshop_sqlite::now_millis() - 120_000;
        for n in 1..=3 {
            shop.stream
                .put_at("order-1", record(n).as_bytes(), two_minutes_ago + n)
                .expect("put");
        }
        shop.put("order-1", &record(4));
        shop.put("order-1", &record(5));
        let function = FakeFunction::succeeding();
        let mapping = StreamMapping {
            maximum_record_age_seconds: Some(60),
            maximum_retry_attempts: Some(2),
            on_failure_queue: Some(ON_FAILURE.into()),
            ..stream_mapping()
        };
        shop.start_stream_consumer(mapping, TIMEOUT, function.clone());

        eventually("the checkpoint past every record", || {
            (shop.checkpoint(0) == 5).then_some(())
        })
        .await;
        let failure = eventually("the on-failure record", || shop.failures(ON_FAILURE).pop()).await;
        assert_eq!(failure.request_context.condition, FailureCondition::RecordAgeExceeded);
        assert_eq!(failure.batch.start_sequence_number, seq(1));
        assert_eq!(failure.batch.end_sequence_number, seq(3));
        assert_eq!(failure.batch.batch_size, 3);
        settle(Duration::from_millis(100)).await;
        let delivered: Vec<i64> = function.batches().iter().flat_map(|b| b.sequences()).collect();
        assert_eq!(delivered, vec![4, 5], "the old records never reach the function");
        assert_eq!(shop.failures(ON_FAILURE).len(), 1);
    })
    .await;
}

// ---------------------------------------------------------------------- 7. filter patterns

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_records_matching_a_filter_reach_the_function_and_the_rest_are_checkpointed_past() {
    within(async {
        let shop = Shop::new(1);
        let placed = |n: i64| json!({ "type": "order_placed", "n": n }).to_string();
        let fulfilled = |n: i64| json!({ "type": "order_fulfilled", "n": n }).to_string();
        shop.put("order-1", &placed(1));
        shop.put("order-1", &fulfilled(2));
        shop.put("order-1", "not json at all");
        shop.put("order-1", &placed(4));
        shop.put("order-1", &fulfilled(5));
        shop.put("order-1", &json!({ "type": ["order_placed"] }).to_string());
        let function = FakeFunction::succeeding();
        let mapping = StreamMapping {
            filters: vec![FilterPattern::new(json!({ "data": { "type": ["order_placed"] } })).unwrap()],
            ..stream_mapping()
        };
        shop.start_stream_consumer(mapping, TIMEOUT, function.clone());

        eventually("the checkpoint past every record", || {
            (shop.checkpoint(0) == 6).then_some(())
        })
        .await;
        let delivered: Vec<i64> = function.batches().iter().flat_map(|b| b.sequences()).collect();
        assert_eq!(delivered, vec![1, 4]);

        // A run of records none of which matches is skipped without an invocation.
        shop.put("order-1", &fulfilled(7));
        shop.put("order-1", &fulfilled(8));
        eventually("the checkpoint past the non-matching records", || {
            (shop.checkpoint(0) == 8).then_some(())
        })
        .await;
        assert_eq!(function.batches().len(), 1);
    })
    .await;
}

// ------------------------------------------------------------ 8. ordering per partition key

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_partition_keys_records_are_handled_in_put_order_even_across_retries() {
    within(async {
        const KEYS: usize = 8;
        const PER_KEY: i64 = 15;
        let shop = Shop::new(4);
        let keys: Vec<String> = (0..KEYS).map(|k| format!("order-{k}")).collect();
        let shards: HashSet<u32> = keys.iter().map(|k| cakeshop_sqlite::shard_for(k, 4)).collect();
        assert!(shards.len() >= 2, "the keys spread over several shards");

        // Like the project's Kinesis handlers: records in order, stopping at the first failure
        // and reporting it. Some records fail the first time they come; some make the whole
        // batch fail (a function error) the first time they come.
        let failed_once = Arc::new(Mutex::new(HashSet::new()));
        let function = {
            let failed_once = failed_once.clone();
            FakeFunction::new(move |batch| {
                let mut failed_once = failed_once.lock().unwrap();
                for item in &batch.items {
                    let n = serde_json::from_str::<serde_json::Value>(&item.data).unwrap()["n"]
                        .as_i64()
                        .unwrap();
                    if n % 11 == 5 && failed_once.insert((item.key.clone(), n, "error")) {
                        return Answer::Error;
                    }
                }
                for item in &batch.items {
                    let n = serde_json::from_str::<serde_json::Value>(&item.data).unwrap()["n"]
                        .as_i64()
                        .unwrap();
                    if n % 7 == 3 && failed_once.insert((item.key.clone(), n, "item")) {
                        return Answer::Fail(vec![item.id.clone()]);
                    }
                }
                Answer::Succeed
            })
        };
        let mapping = StreamMapping {
            batch_size: 7,
            ..stream_mapping()
        };
        // Half the records are there before the consumer starts, half come while it runs.
        let put = |n: i64| {
            for key in &keys {
                shop.put(key, &json!({ "key": key, "n": n }).to_string());
            }
        };
        (0..PER_KEY / 2).for_each(put);
        shop.start_stream_consumer(mapping, TIMEOUT, function.clone());
        for n in PER_KEY / 2..PER_KEY {
            put(n);
            tokio::time::sleep(Duration::from_millis(2)).await;
        }

        // What the function handled: a successful batch entirely, a batch with a reported
        // failure up to that record, a failed batch nothing.
        let handled = || {
            let mut by_key: BTreeMap<String, Vec<i64>> = BTreeMap::new();
            for call in function.calls() {
                let done = match &call.answer {
                    Answer::Succeed => call.batch.items.len(),
                    Answer::Fail(ids) => call.batch.items.iter().take_while(|i| i.id != ids[0]).count(),
                    _ => 0,
                };
                for item in &call.batch.items[..done] {
                    let n = serde_json::from_str::<serde_json::Value>(&item.data).unwrap()["n"]
                        .as_i64()
                        .unwrap();
                    by_key.entry(item.key.clone()).or_default().push(n);
                }
            }
            by_key
        };
        let mut last_of_shard: HashMap<u32, i64> = HashMap::new();
        for record in shop.stream.all_records().unwrap() {
            last_of_shard.insert(record.shard, record.sequence);
        }
        eventually("every shard's checkpoint past its last record", || {
            last_of_shard
                .iter()
                .all(|(&shard, &last)| shop.checkpoint(shard) == last)
                .then_some(())
        })
        .await;
        // Every delivery, retries included, kept each key's records in order...
        for batch in function.batches() {
            let mut last: HashMap<&str, i64> = HashMap::new();
            for item in &batch.items {
                let previous = last.insert(&item.key, item.sequence);
                assert!(previous.is_none_or(|p| p < item.sequence), "{:?}", batch.sequences());
            }
        }
        // ...and the function handled each record once, in put order.
        let by_key = handled();
        let in_put_order: Vec<i64> = (0..PER_KEY).collect();
        for key in &keys {
            assert_eq!(by_key[key], in_put_order, "{key}: each record once, in put order");
        }
        assert!(failed_once.lock().unwrap().len() >= KEYS * 3, "the retries happened");
    })
    .await;
}

// ------------------------------------------------------------ 9. batch size, batching window

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_batches_hold_at_most_batch_size_records() {
    within(async {
        let shop = Shop::new(1);
        for n in 1..=10 {
            shop.put("order-1", &record(n));
        }
        let function = FakeFunction::succeeding();
        let mapping = StreamMapping {
            batch_size: 4,
            ..stream_mapping()
        };
        shop.start_stream_consumer(mapping, TIMEOUT, function.clone());
        eventually("every record", || (shop.checkpoint(0) == 10).then_some(())).await;
        let batches: Vec<Vec<i64>> = function.batches().iter().map(|b| b.sequences()).collect();
        assert_eq!(batches, vec![vec![1, 2, 3, 4], vec![5, 6, 7, 8], vec![9, 10]]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_batching_window_gathers_records_until_it_passes() {
    within(async {
        let shop = Shop::new(1);
        let function = FakeFunction::succeeding();
        let mapping = StreamMapping {
            batching_window_ms: 400,
            ..stream_mapping()
        };
        shop.start_stream_consumer(mapping, TIMEOUT, function.clone());
        settle(Duration::from_millis(50)).await;

        let start = Instant::now();
        shop.put("order-1", &record(1));
        settle(Duration::from_millis(100)).await;
        shop.put("order-1", &record(2));
        shop.put("order-1", &record(3));
        let batch = eventually("a batch", || function.batches().first().cloned()).await;
        assert_eq!(batch.sequences(), vec![1, 2, 3]);
        let waited = batch.at - start;
        assert!(waited >= Duration::from_millis(380), "invoked after {waited:?}");
        settle(Duration::from_millis(100)).await;
        assert_eq!(function.batches().len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_batching_window_ends_as_soon_as_the_batch_is_full() {
    within(async {
        let shop = Shop::new(1);
        let function = FakeFunction::succeeding();
        let mapping = StreamMapping {
            batch_size: 3,
            batching_window_ms: 3_000,
            ..stream_mapping()
        };
        shop.start_stream_consumer(mapping, TIMEOUT, function.clone());
        settle(Duration::from_millis(50)).await;

        let start = Instant::now();
        shop.put("order-1", &record(1));
        settle(Duration::from_millis(50)).await;
        shop.put("order-1", &record(2));
        shop.put("order-1", &record(3));
        let batch = eventually("a batch", || function.batches().first().cloned()).await;
        assert_eq!(batch.sequences(), vec![1, 2, 3]);
        let waited = batch.at - start;
        assert!(waited < Duration::from_millis(1_500), "invoked after {waited:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_batches_hold_at_most_batch_size_messages_and_the_window_gathers_them() {
    within(async {
        let shop = Shop::new(1);
        let queue = shop.queue("Q");
        let bodies: Vec<String> = (1..=7).map(|n| format!("m{n}")).collect();
        queue.send_bodies(bodies.iter().map(String::as_str)).unwrap();
        let function = FakeFunction::succeeding();
        let mapping = cakeshop_local::serverless::QueueMapping {
            batch_size: 3,
            ..queue_mapping("Q")
        };
        shop.start_queue_consumer(mapping, 30_000, None, function.clone(), 1);
        eventually("every message", || {
            (function.batches().iter().map(|b| b.items.len()).sum::<usize>() == 7).then_some(())
        })
        .await;
        let sizes: Vec<usize> = function.batches().iter().map(|b| b.items.len()).collect();
        assert_eq!(sizes, vec![3, 3, 1]);
        eventually("an empty queue", || queue.list().unwrap().is_empty().then_some(())).await;

        // With a window, a message sent shortly after the first joins its batch.
        let windowed = shop.queue("W");
        let function = FakeFunction::succeeding();
        let mapping = cakeshop_local::serverless::QueueMapping {
            batching_window_ms: 300,
            ..queue_mapping("W")
        };
        shop.start_queue_consumer(mapping, 30_000, None, function.clone(), 1);
        windowed.send_bodies(["w1"]).unwrap();
        settle(Duration::from_millis(100)).await;
        windowed.send_bodies(["w2"]).unwrap();
        let batch = eventually("a batch", || function.batches().first().cloned()).await;
        assert_eq!(batch.data(), vec!["w1", "w2"]);
    })
    .await;
}

// ------------------------------------------------------------------------------------ 10. SQS

const VISIBILITY_MS: i64 = 200;

/// A batch's messages as (body, ApproximateReceiveCount), by body: a standard queue does not
/// promise an order.
fn received(batch: &support::Batch) -> Vec<(&str, u32)> {
    let mut messages: Vec<(&str, u32)> = batch.items.iter().map(|i| (i.data.as_str(), i.receive_count)).collect();
    messages.sort();
    messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_a_reported_failure_comes_back_after_the_visibility_timeout_and_the_rest_are_deleted() {
    within(async {
        let shop = Shop::new(1);
        let queue = shop.queue("Q");
        queue.send_bodies(["a", "b", "c"]).unwrap();
        let function = FakeFunction::new(|batch| match batch.item_with_data("b") {
            Some(b) if b.receive_count == 1 => Answer::Fail(vec![b.id.clone()]),
            _ => Answer::Succeed,
        });
        shop.start_queue_consumer(queue_mapping("Q"), VISIBILITY_MS, None, function.clone(), 2);

        eventually("two invocations", || (function.batches().len() >= 2).then_some(())).await;
        settle(Duration::from_millis(VISIBILITY_MS as u64 * 2)).await;
        let batches = function.batches();
        assert_eq!(batches.len(), 2, "only the failed message came back");
        assert_eq!(received(&batches[0]), vec![("a", 1), ("b", 1), ("c", 1)]);
        assert_eq!(received(&batches[1]), vec![("b", 2)]);
        assert_eq!(batches[1].items[0].id, batches[0].item_with_data("b").unwrap().id);
        let gap = batches[1].at - batches[0].at;
        assert!(
            gap >= Duration::from_millis(VISIBILITY_MS as u64 - 10),
            "back after {gap:?}"
        );
        assert!(queue.list().unwrap().is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_a_function_error_keeps_the_whole_batch() {
    within(async {
        let shop = Shop::new(1);
        let queue = shop.queue("Q");
        queue.send_bodies(["a", "b"]).unwrap();
        let function = FakeFunction::new(|batch| {
            if batch.items.iter().any(|i| i.receive_count == 1) {
                Answer::Error
            } else {
                Answer::Succeed
            }
        });
        shop.start_queue_consumer(queue_mapping("Q"), VISIBILITY_MS, None, function.clone(), 2);

        eventually("an empty queue", || queue.list().unwrap().is_empty().then_some(())).await;
        let batches = function.batches();
        let seen: Vec<Vec<(&str, u32)>> = batches.iter().map(received).collect();
        assert_eq!(seen, vec![vec![("a", 1), ("b", 1)], vec![("a", 2), ("b", 2)]]);
        let gap = batches[1].at - batches[0].at;
        assert!(
            gap >= Duration::from_millis(VISIBILITY_MS as u64 - 10),
            "back after {gap:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_after_max_receive_count_a_message_moves_to_the_dead_letter_queue_and_redrive_brings_it_back() {
    within(async {
        const MAX_RECEIVES: u32 = 3;
        let shop = Shop::new(1);
        let queue = shop.queue("Q");
        let dead_letters_queue = shop.queue("Dlq");
        let ids = queue.send_bodies(["x", "y"]).unwrap();
        let healthy = Arc::new(AtomicBool::new(false));
        let function = {
            let healthy = healthy.clone();
            FakeFunction::new(move |batch| match batch.item_with_data("x") {
                Some(x) if !healthy.load(Ordering::SeqCst) => Answer::Fail(vec![x.id.clone()]),
                _ => Answer::Succeed,
            })
        };
        let redrive = Redrive {
            dead_letter_queue: "Dlq".into(),
            max_receive_count: i64::from(MAX_RECEIVES),
        };
        shop.start_queue_consumer(queue_mapping("Q"), VISIBILITY_MS, Some(redrive), function.clone(), 2);

        let dead = eventually("the dead letter", || dead_letters_queue.list().unwrap().pop()).await;
        assert_eq!(dead.message_id, ids[0]);
        assert_eq!(dead.body, "x");
        assert_eq!(dead.dead_letter_source.as_deref(), Some("Q"));
        settle(Duration::from_millis(VISIBILITY_MS as u64 * 2)).await;
        let receives_of_x: Vec<u32> = function
            .batches()
            .iter()
            .filter_map(|b| b.item_with_data("x").map(|x| x.receive_count))
            .collect();
        assert_eq!(receives_of_x, vec![1, 2, 3], "seen exactly maxReceiveCount times");
        assert!(queue.list().unwrap().is_empty(), "y was handled, x moved");
        assert_eq!(dead_letters_queue.list().unwrap().len(), 1);

        // Redrive puts it back as a new message; the function, healthy now, takes it.
        healthy.store(true, Ordering::SeqCst);
        let wiring = wiring(
            None,
            vec![
                QueueSpec {
                    logical_id: "Q".into(),
                    visibility_timeout_seconds: 0,
                    redrive: Some(RedriveSpec {
                        dead_letter_queue: "Dlq".into(),
                        max_receive_count: MAX_RECEIVES,
                    }),
                },
                QueueSpec {
                    logical_id: "Dlq".into(),
                    visibility_timeout_seconds: 30,
                    redrive: None,
                },
            ],
        );
        let report = dead_letters::redrive(&wiring, &shop.store, &function, "Dlq")
            .await
            .expect("redrive");
        assert_eq!(report.replayed, 1);
        assert!(dead_letters_queue.list().unwrap().is_empty());
        let again = eventually("x delivered again", || {
            function.succeeded().iter().find_map(|b| b.item_with_data("x").cloned())
        })
        .await;
        assert_eq!((again.id.as_str(), again.receive_count), (ids[0].as_str(), 1));
        eventually("an empty queue", || queue.list().unwrap().is_empty().then_some(())).await;
    })
    .await;
}

// ------------------------------------------------------ 12. wiring follows serverless.yml

const PROJECT_SERVERLESS_YML: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../serverless.yml");

/// Every mapping of the wiring read from `text`, started by `dev::mappings::start_all` as
/// `cakeshop dev` starts them, over 60 order_placed and 10 order_fulfilled records on one
/// shard; returns notify-baker's batches.
async fn notify_baker_batches(text: &str) -> Vec<support::Batch> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("serverless.yml");
    std::fs::write(&path, text).unwrap();
    let wiring = read_serverless_yml(&path).expect("usable wiring");

    let shop = Shop::new(1);
    for n in 0..70 {
        let kind = if n % 7 == 3 { "order_fulfilled" } else { "order_placed" };
        shop.put(
            &format!("order-{n}"),
            &json!({ "type": kind, "orderId": format!("order-{n}") }).to_string(),
        );
    }
    let fake = FakeFunction::succeeding();
    let sources = cakeshop_local::dev::LocalSources {
        store: shop.store.clone(),
        stream_arn: cakeshop_local::arn::stream_arn(&wiring.stream.logical_id),
    };
    cakeshop_local::dev::mappings::start_all(
        &wiring,
        &sources,
        &fake,
        None,
        &cakeshop_local::stopping::Stopping::default(),
    )
    .expect("every mapping starts");
    eventually("every record", || {
        (shop.stream.checkpoint("notify-baker", 0).unwrap() == 70).then_some(())
    })
    .await;
    fake.batches()
        .into_iter()
        .filter(|b| b.function == "notify-baker")
        .collect()
}

fn types(batches: &[support::Batch]) -> HashSet<String> {
    batches
        .iter()
        .flat_map(|b| b.items.iter())
        .map(|i| serde_json::from_str::<serde_json::Value>(&i.data).unwrap()["type"].to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_wiring_follows_serverless_yml() {
    within(async {
        let original = std::fs::read_to_string(PROJECT_SERVERLESS_YML).expect("the project's serverless.yml");

        // As the project ships it: batches of up to 50, order_placed and order_cancelled (this stream has no cancellations).
        let batches = notify_baker_batches(&original).await;
        assert_eq!(batches.iter().map(|b| b.items.len()).max(), Some(50));
        assert_eq!(types(&batches), HashSet::from([r#""order_placed""#.to_owned()]));
        assert_eq!(batches.iter().map(|b| b.items.len()).sum::<usize>(), 60);

        // notify-baker's batchSize 50 → 2 and its filter order_placed → order_fulfilled.
        let start = original.find("\n  notify-baker:").expect("notify-baker");
        // The section ends where the next function (a line indented two spaces) begins.
        let body = start + "\n  notify-baker:".len();
        let end = body
            + original[body..]
                .match_indices("\n  ")
                .find(|(at, _)| !original[body + at + 3..].starts_with(' '))
                .map(|(at, _)| at)
                .expect("a function after notify-baker");
        let section = &original[start..end];
        assert_eq!(section.matches("batchSize: 50").count(), 1);
        assert_eq!(section.matches("type: [order_placed, order_cancelled]").count(), 1);
        let changed = section
            .replace("batchSize: 50", "batchSize: 2")
            .replace("type: [order_placed, order_cancelled]", "type: [order_fulfilled]");
        let modified = format!("{}{changed}{}", &original[..start], &original[end..]);

        let batches = notify_baker_batches(&modified).await;
        assert!(batches.iter().all(|b| b.items.len() <= 2));
        assert_eq!(types(&batches), HashSet::from([r#""order_fulfilled""#.to_owned()]));
        assert_eq!(batches.iter().map(|b| b.items.len()).sum::<usize>(), 10);
    })
    .await;
}
