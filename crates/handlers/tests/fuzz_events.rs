//! Fuzzing the handlers with what a broken producer or a stranger can hand them: Kinesis records
//! and SQS messages holding arbitrary or mangled payloads, whole envelopes with mangled JSON, and
//! HTTP requests with arbitrary bodies and credentials. Every handler must answer with a proper
//! response, never panic, never acknowledge a record it could not read, and never answer a
//! client's mistake with a server error.
//!
//! Bounded to stay fast in a debug build; `PROPTEST_CASES=<n>` runs more (or fewer) cases.

use crate::support;

use crate::support::envelopes::{
    DELIVERY_QUEUE_ARN, FEEDBACK_QUEUE_ARN, as_http, http_request, kinesis_record, sqs_message,
};
use crate::support::{BAKER_KEY, SAMPLE_ORDER, SIGNING_SECRET, Shop, failed_message_ids, failed_sequence_numbers};
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::sqs::SqsEvent;
use base64::Engine;
use cakeshop_domain::{
    Cancellation, CancelledBy, DeliveryRequest, FeedbackMessage, Order, OrderEvent, OrderId, Timestamp, parse_new_order,
};
use cakeshop_handlers::Signer;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::{Value, json};
use std::future::Future;

const START: &str = "2026-11-20T09:00:00Z";
const PLACED_ORDER: &str = "o-1";

/// `cases` per property unless `PROPTEST_CASES` says otherwise.
fn config(cases: u32) -> ProptestConfig {
    let defaults = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        defaults.cases
    } else {
        cases
    };
    ProptestConfig { cases, ..defaults }
}

/// Runs `property` on values of `strategy`, each case on a fresh shop holding one placed order.
fn check<S, F, Fut>(cases: u32, strategy: S, property: F)
where
    S: Strategy,
    F: Fn(Shop, S::Value) -> Fut,
    Fut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut runner = TestRunner::new(config(cases));
    let result = runner.run(&strategy, |value| {
        runtime.block_on(async {
            let shop = Shop::new(START, &[PLACED_ORDER]);
            shop.place_sample().await;
            shop.stream.taken();
            property(shop, value).await;
        });
        Ok::<(), TestCaseError>(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}

fn at() -> Timestamp {
    support::fakes::parse_time(START)
}

fn id(text: &str) -> OrderId {
    OrderId::parse(text).expect("valid id")
}

fn sample_order(order_id: &str) -> Order {
    Order::place(
        id(order_id),
        parse_new_order(SAMPLE_ORDER.as_bytes())
            .expect("valid")
            .priced(
                &cakeshop_domain::Catalogue::sample(),
                cakeshop_domain::Day::parse("2026-11-21").expect("a day"),
            )
            .expect("on sale"),
        at(),
    )
}

/// Well-formed payloads, about the placed order and about one that does not exist.
fn valid_events() -> Vec<Vec<u8>> {
    let mut events = Vec::new();
    for order_id in [PLACED_ORDER, "o-404"] {
        events.push(
            OrderEvent::order_placed(&sample_order(order_id), at())
                .encode()
                .expect("encodes"),
        );
        events.push(
            OrderEvent::order_fulfilled(&id(order_id), at())
                .encode()
                .expect("encodes"),
        );
        for by in [CancelledBy::Customer, CancelledBy::Baker] {
            let cancellation = Cancellation {
                by,
                reason: Some("<b>changed plans</b>\r\n".into()),
            };
            events.push(
                OrderEvent::order_cancelled(&id(order_id), cancellation, at())
                    .encode()
                    .expect("encodes"),
            );
        }
    }
    events
}

fn valid_messages() -> Vec<String> {
    let order = sample_order(PLACED_ORDER);
    let delivery = DeliveryRequest::for_order(&order, at());
    let feedback = FeedbackMessage::for_order(&order, Some(5), Some("<b>yum</b>\r\n".into()), at());
    vec![
        serde_json::to_string(&delivery).expect("json"),
        serde_json::to_string(&feedback).expect("json"),
    ]
}

const FRAGMENTS: &[&str] = &[
    "\"",
    "{",
    "}",
    "[",
    "]",
    ",",
    "null",
    "-1",
    "1e999",
    "\\u0000",
    "\\ud800",
    "\"type\":\"order_placed\",",
    "\"schemaVersion\":99,",
    "\"orderId\":\"A B\",",
    "\"order\":{},",
];

/// `original` with a few bytes overwritten, inserted, deleted or cut off.
fn mangled(original: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    mangled_by(original, 1..5)
}

fn mangled_by(original: Vec<u8>, edits: std::ops::Range<usize>) -> impl Strategy<Value = Vec<u8>> {
    let edit = prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| (at, 1usize, vec![byte])),
        (any::<usize>(), prop::sample::select(FRAGMENTS)).prop_map(|(at, text)| (at, 0, text.as_bytes().to_vec())),
        (any::<usize>(), 1..8usize).prop_map(|(at, len)| (at, len, Vec::new())),
        any::<usize>().prop_map(|at| (at, usize::MAX, Vec::new())),
    ];
    // Each edit replaces `remove` bytes at `at` (wrapped to the length) with `insert`.
    prop::collection::vec(edit, edits).prop_map(move |edits| {
        let mut bytes = original.clone();
        for (at, remove, insert) in edits {
            let at = at % (bytes.len() + 1);
            let end = at.saturating_add(remove).min(bytes.len());
            bytes.splice(at..end, insert);
        }
        bytes
    })
}

fn payload(valid: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let pick = prop::sample::select(valid);
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..200),
        3 => pick.clone().prop_flat_map(mangled),
        2 => pick,
    ]
}

fn sequence_number(n: usize) -> String {
    format!("4965{n:052}")
}

fn kinesis_batch(records: &[Vec<u8>]) -> KinesisEvent {
    let records: Vec<Value> = records
        .iter()
        .enumerate()
        .map(|(n, data)| kinesis_record(data, PLACED_ORDER, n as u128, 0))
        .collect();
    support::envelopes::as_kinesis(&json!({ "Records": records }))
}

/// Every failure names a record of the batch, and no unreadable record is acknowledged: the
/// batch stops at or before the first record that does not decode.
fn assert_nothing_unreadable_acknowledged(batch: &[Vec<u8>], failures: &[String]) {
    let sequence_numbers: Vec<String> = (0..batch.len()).map(sequence_number).collect();
    for failure in failures {
        assert!(sequence_numbers.contains(failure), "{failure} is not in the batch");
    }
    if let Some(unreadable) = batch.iter().position(|data| OrderEvent::decode(data).is_err()) {
        let first_failure = failures
            .iter()
            .filter_map(|failure| sequence_numbers.iter().position(|s| s == failure))
            .min();
        assert!(
            first_failure.is_some_and(|first| first <= unreadable),
            "record {unreadable} could not be read, yet the batch reported {failures:?}"
        );
    }
}

#[test]
fn stream_consumers_answer_any_batch_and_never_acknowledge_an_unreadable_record() {
    let batches = prop::collection::vec(payload(valid_events()), 1..6);
    check(256, batches, |shop, batch| async move {
        let event = kinesis_batch(&batch);
        let mailed = shop.notify_baker.handle(event.clone()).await;
        assert_nothing_unreadable_acknowledged(&batch, &failed_sequence_numbers(&mailed));
        let requested = shop.request_delivery.handle(event).await;
        assert_nothing_unreadable_acknowledged(&batch, &failed_sequence_numbers(&requested));
    });
}

/// Kinesis envelopes with odd record fields: any text as data (base64 or not), sequence
/// number and partition key, records repeated or missing.
fn odd_envelope() -> impl Strategy<Value = Vec<u8>> {
    let data = prop_oneof![
        payload(valid_events()).prop_map(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes)),
        ".{0,40}",
    ];
    let record = (data, ".{0,20}", "[0-9]{0,3}|.{0,10}").prop_map(|(data, key, sequence)| {
        let mut record = kinesis_record(b"", "k", 0, 0);
        record["kinesis"]["data"] = Value::String(data);
        record["kinesis"]["partitionKey"] = Value::String(key);
        record["kinesis"]["sequenceNumber"] = Value::String(sequence);
        record
    });
    prop::collection::vec(record, 0..5)
        .prop_map(|records| serde_json::to_vec(&json!({ "Records": records })).unwrap_or_default())
}

#[test]
fn stream_consumers_answer_any_envelope_that_deserialises() {
    let event = kinesis_batch(&valid_events());
    let envelope = serde_json::to_vec(&event).expect("json");
    let envelopes = prop_oneof![mangled_by(envelope, 1..3), odd_envelope()];
    check(256, envelopes, |shop, bytes| async move {
        let Ok(event) = serde_json::from_slice::<KinesisEvent>(&bytes) else {
            return;
        };
        let sequence_numbers: Vec<&str> = event
            .records
            .iter()
            .map(|r| r.kinesis.sequence_number.as_str())
            .collect();
        for response in [
            shop.notify_baker.handle(event.clone()).await,
            shop.request_delivery.handle(event.clone()).await,
        ] {
            for failure in failed_sequence_numbers(&response) {
                assert!(sequence_numbers.contains(&failure.as_str()), "{failure}");
            }
        }
    });
}

fn sqs_batch(bodies: &[(Option<String>, bool)], queue_arn: &str) -> SqsEvent {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(n, (body, has_id))| {
            let mut message = sqs_message("", queue_arn, &format!("m-{n}"), 0);
            message["body"] = body.as_ref().map_or(Value::Null, |b| Value::String(b.clone()));
            if !has_id {
                message["messageId"] = Value::Null;
            }
            message
        })
        .collect();
    support::envelopes::as_sqs(&json!({ "Records": records }))
}

/// Every failure names a message of the batch (or is empty, for a message without an id), and
/// every message whose body is not a readable `T` is reported.
fn assert_every_unreadable_message_reported(
    batch: &[(Option<String>, bool)],
    failures: &[String],
    readable: impl Fn(&str) -> bool,
) {
    for failure in failures {
        let known = failure.is_empty() || batch.iter().enumerate().any(|(n, _)| *failure == format!("m-{n}"));
        assert!(known, "{failure} is not in the batch");
    }
    for (n, (body, has_id)) in batch.iter().enumerate() {
        let expected = if *has_id { format!("m-{n}") } else { String::new() };
        if !readable(body.as_deref().unwrap_or_default()) {
            assert!(
                failures.contains(&expected),
                "message {n} was unreadable, yet not reported"
            );
        }
    }
}

#[test]
fn queue_consumers_answer_any_batch_and_report_every_unreadable_message() {
    let text = payload(valid_messages().into_iter().map(String::into_bytes).collect())
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let message = (prop::option::weighted(0.9, text), prop::bool::weighted(0.9));
    check(256, prop::collection::vec(message, 1..6), |shop, batch| async move {
        let deliveries = shop.notify_delivery.handle(sqs_batch(&batch, DELIVERY_QUEUE_ARN)).await;
        assert_every_unreadable_message_reported(&batch, &failed_message_ids(&deliveries), |body| {
            DeliveryRequest::decode(body).is_ok()
        });
        let feedback = shop
            .forward_feedback
            .handle(sqs_batch(&batch, FEEDBACK_QUEUE_ARN))
            .await;
        assert_every_unreadable_message_reported(&batch, &failed_message_ids(&feedback), |body| {
            FeedbackMessage::decode(body).is_ok()
        });
    });
}

#[derive(Debug, Clone, Copy)]
enum Credential {
    None,
    BakerKey,
    CustomerToken,
    BakerLink,
    Junk,
}

fn credential(which: Credential) -> Option<String> {
    let signer = Signer::new(SIGNING_SECRET);
    match which {
        Credential::None => None,
        Credential::BakerKey => Some(BAKER_KEY.to_owned()),
        Credential::CustomerToken => Some(signer.customer_token(&id(PLACED_ORDER))),
        Credential::BakerLink => Some(signer.baker_link_token(&id(PLACED_ORDER), at().plus_seconds(60))),
        Credential::Junk => Some("Zm9v.1.bar baz".to_owned()),
    }
}

fn request_body() -> impl Strategy<Value = Vec<u8>> {
    let valid = [
        SAMPLE_ORDER.to_owned(),
        json!({ "orderId": PLACED_ORDER }).to_string(),
        json!({ "orderId": PLACED_ORDER, "rating": 4, "feedback": "ok" }).to_string(),
        json!({ "orderId": PLACED_ORDER, "reason": "changed plans" }).to_string(),
        json!({ "name": "Opera cake", "priceCents": 4500 }).to_string(),
        json!({ "priceCents": 2950, "available": false }).to_string(),
        json!({ "perWeekday": { "monday": 3 }, "perDate": { "2026-11-21": 0 }, "cutoff": "17:00" }).to_string(),
        json!({ "open": false, "message": "Closed", "until": "2026-11-23" }).to_string(),
        r#"{"name":"A","address":"B","productId":1,"quantity":2,"deliveryDate":"2026-11-22"}"#.to_owned(),
        format!("token={}", credential(Credential::BakerLink).unwrap_or_default()),
    ];
    payload(valid.into_iter().map(String::into_bytes).collect())
}

/// A request to `route` carrying `body` (as text, or base64 when it is not UTF-8).
fn request(route: (&str, &str, &str), body: &[u8], bearer: Option<String>, form: bool) -> Value {
    let (method, template, path) = route;
    let mut headers = json!({
        "content-type": if form { "application/x-www-form-urlencoded" } else { "application/json" }
    });
    if let Some(token) = bearer {
        headers["authorization"] = Value::String(format!("Bearer {token}"));
    }
    let mut request = http_request(method, template, path, headers, None);
    match std::str::from_utf8(body) {
        Ok(text) => request["body"] = Value::String(text.to_owned()),
        Err(_) => {
            request["body"] = Value::String(base64::engine::general_purpose::STANDARD.encode(body));
            request["isBase64Encoded"] = Value::Bool(true);
        }
    }
    if template == "/order/{orderId}" {
        request["pathParameters"] = json!({ "orderId": PLACED_ORDER });
    }
    if template == "/products/{productId}" {
        request["pathParameters"] = json!({ "productId": path.rsplit('/').next().unwrap_or_default() });
    }
    request
}

#[test]
fn http_handlers_answer_any_body_and_credential_without_a_server_error() {
    let credentials = prop::sample::select(vec![
        Credential::None,
        Credential::BakerKey,
        Credential::CustomerToken,
        Credential::BakerLink,
        Credential::Junk,
    ]);
    let cases = (request_body(), credentials, any::<bool>(), 0..11usize);
    check(512, cases, |shop, (body, who, form, route)| async move {
        let routes = [
            ("POST", "/order", "/order"),
            ("POST", "/order/fulfilled", "/order/fulfilled"),
            ("POST", "/order/delivered", "/order/delivered"),
            ("GET", "/order/{orderId}", "/order/o-1"),
            ("POST", "/order/cancelled", "/order/cancelled"),
            ("POST", "/products", "/products"),
            ("PUT", "/products/{productId}", "/products/2"),
            ("PUT", "/products/{productId}", "/products/x%00"),
            ("PUT", "/capacity", "/capacity"),
            ("PUT", "/shop", "/shop"),
            ("GET", "/availability", "/availability"),
        ];
        let event = as_http(&request(routes[route], &body, credential(who), form));
        let response = match route {
            0 => shop.place_order.handle(event).await,
            1 => shop.fulfill_order.handle(event).await,
            2 => shop.confirm_delivery.handle(event).await,
            3 => shop.order_queries.handle(event).await,
            4 => shop.cancel_order.handle(event).await,
            _ => shop.manage_shop.handle(event).await,
        };
        let (status, answer) = support::status_and_json(&response);
        assert!(
            [200, 201, 400, 401, 403, 404, 409, 413, 422].contains(&status),
            "{status} for {who:?} {:?}: {answer}",
            routes[route]
        );
        if status >= 400 && support::header(&response, "content-type") == "application/json" {
            support::error_code(&answer);
        }
    });
}
