//! Racing the baker: several `POST /order/fulfilled` for one order at once, some with the baker's
//! key and some with the email's link, on a clock that moves with every reading. Exactly one
//! transition may happen per order: one `fulfilled` step, and every announcement of it the same
//! fact (same event id, same time). Key holders get the order back; a link works only for the
//! caller whose transition happened, the others get a 409.

use crate::support;

use crate::support::fakes::parse_time;
use crate::support::{BAKER_KEY, PUBLIC_BASE_URL, SIGNING_SECRET, Shop};
use cakeshop_domain::{OrderEvent, OrderId, Status, Step, Timestamp};
use cakeshop_handlers::{BakerKey, FulfillOrder, Signer};
use cakeshop_ports::Clock;
use futures::future::join_all;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

const START: &str = "2026-11-20T09:00:00Z";
const ORDERS: usize = 20;

/// A clock one second later at every reading, so that two transitions of one order could
/// never carry the same time.
struct TickingClock(AtomicI64);

impl Clock for TickingClock {
    fn now(&self) -> Timestamp {
        let millis = self.0.fetch_add(1000, Ordering::SeqCst);
        Timestamp::from_unix_millis(millis).unwrap_or_else(|| parse_time(START))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Baker,
    Link,
}

fn fulfil_request(order_id: &str, bearer: &str) -> aws_lambda_events::apigw::ApiGatewayV2httpRequest {
    let body = serde_json::json!({ "orderId": order_id }).to_string();
    support::envelopes::as_http(&support::json_post("/order/fulfilled", Some(bearer), &body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_fulfils_make_one_transition_per_order() {
    let ids: Vec<&'static str> = (0..ORDERS)
        .map(|n| &*Box::leak(format!("race-{n}").into_boxed_str()))
        .collect();
    let shop = Shop::new(START, &ids);
    for _ in 0..ORDERS {
        shop.place_sample().await;
    }
    shop.stream.taken();
    let clock = Arc::new(TickingClock(AtomicI64::new(parse_time(START).unix_millis())));
    let fulfill = Arc::new(FulfillOrder::new(
        shop.orders.clone(),
        shop.stream.clone(),
        Signer::new(SIGNING_SECRET),
        BakerKey::new(BAKER_KEY),
        PUBLIC_BASE_URL.into(),
        clock,
        Arc::new(shop.metrics.clone()),
    ));
    let signer = Signer::new(SIGNING_SECRET);
    let far_future = parse_time(START).plus_seconds(365 * 24 * 3600);

    // 2 to 4 callers per order, mixing the key and the link, all released at once.
    let mut racers = Vec::new();
    for (n, &id) in ids.iter().enumerate() {
        for caller in 0..(2 + n % 3) {
            let who = if (n + caller) % 2 == 0 {
                Caller::Baker
            } else {
                Caller::Link
            };
            let bearer = match who {
                Caller::Baker => BAKER_KEY.to_owned(),
                Caller::Link => signer.baker_link_token(&OrderId::parse(id).expect("id"), far_future),
            };
            let fulfill = fulfill.clone();
            racers.push(tokio::spawn(async move {
                let response = fulfill.handle(fulfil_request(id, &bearer)).await;
                (id, who, support::status_and_json(&response))
            }));
        }
    }
    let answers: Vec<(&str, Caller, (i64, Value))> = join_all(racers)
        .await
        .into_iter()
        .map(|joined| joined.expect("no racer panicked"))
        .collect();

    let orders = shop.orders.snapshot();
    let mut published: HashMap<String, Vec<OrderEvent>> = HashMap::new();
    for event in shop.stream.taken() {
        published.entry(event.order_id().to_string()).or_default().push(event);
    }
    for id in &ids {
        let order = &orders[&OrderId::parse(id).expect("id")];
        assert_eq!(order.status, Status::Fulfilled, "{id}");
        let fulfilled_steps: Vec<_> = order.history.iter().filter(|h| h.step == Step::Fulfilled).collect();
        assert_eq!(fulfilled_steps.len(), 1, "one fulfilled step for {id}");
        let at = fulfilled_steps[0].at;
        let expected = OrderEvent::order_fulfilled(&order.order_id, at)
            .about_customer_of(order)
            .in_trace_of(order);

        let mine: Vec<_> = answers.iter().filter(|(order, ..)| order == id).collect();
        let mut link_successes = 0;
        for (_, who, (status, body)) in &mine {
            match (who, status) {
                (_, 200) => {
                    let step = body["history"]
                        .as_array()
                        .and_then(|h| h.iter().find(|s| s["step"] == "fulfilled"))
                        .cloned()
                        .unwrap_or_default();
                    assert_eq!(
                        step["at"],
                        at.to_string(),
                        "{id}: every answer shows the one transition"
                    );
                    link_successes += usize::from(*who == Caller::Link);
                }
                (Caller::Link, 409) => assert_eq!(support::error_code(body), "illegal_transition"),
                _ => panic!("{id}: {who:?} got {status} {body}"),
            }
        }
        assert!(link_successes <= 1, "{id}: a link worked {link_successes} times");
        let ready: Vec<_> = shop
            .metrics
            .of(id)
            .into_iter()
            .filter(|m| m.name() == "TimeToReady")
            .collect();
        assert_eq!(
            ready.len(),
            1,
            "{id}: one TimeToReady for its one transition, not {ready:?}"
        );
        let events = published.get(*id).cloned().unwrap_or_default();
        assert!(!events.is_empty(), "{id}: the fulfilment was announced");
        assert!(
            events.iter().all(|event| *event == expected),
            "{id}: every announcement is the same fact {expected:?}, got {events:?}"
        );
    }
}
