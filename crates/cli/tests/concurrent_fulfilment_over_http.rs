//! The order state machine under concurrency, over real HTTP against a real `cakeshop dev`:
//! 20 orders, each fulfilled by 2 to 4 callers at once (the baker's key, the link as a bearer
//! token, the link page's button). Exactly one transition per order: one `fulfilled` step, the
//! same time in every answer, and one delivery handed to the courier, however many times the
//! fulfilment was announced. And a delivery confirmed before the cake is fulfilled is refused
//! with nothing written.

use crate::support::{DevProcess, eventually, project_file};
use futures::future::join_all;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

const ORDERS: usize = 20;
const PATIENCE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    BakerKey,
    LinkAsBearer,
    LinkButton,
}

fn link_token(email: &Value) -> String {
    let text = email["text"].as_str().unwrap_or_default();
    let start = text.find("token=").map(|i| i + "token=".len()).unwrap_or(text.len());
    text[start..].split_whitespace().next().unwrap_or_default().to_owned()
}

fn steps(order: &Value) -> Vec<String> {
    order["history"]
        .as_array()
        .map(|history| {
            history
                .iter()
                .filter_map(|h| h["step"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn fulfilled_at(order: &Value) -> Value {
    order["history"]
        .as_array()
        .and_then(|history| history.iter().find(|h| h["step"] == "fulfilled"))
        .map(|step| step["at"].clone())
        .unwrap_or_default()
}

async fn fulfil(shop: &DevProcess, order_id: &str, link: &str, caller: Caller) -> (u16, Value) {
    let body = json!({ "orderId": order_id });
    match caller {
        Caller::BakerKey => shop.post("/order/fulfilled", Some(&shop.baker_key), &body).await,
        Caller::LinkAsBearer => shop.post("/order/fulfilled", Some(link), &body).await,
        Caller::LinkButton => {
            let pressed = shop
                .http
                .post(format!("{}/order/fulfilled", shop.base))
                .form(&[("token", link)])
                .send()
                .await;
            match pressed {
                Ok(page) => (
                    page.status().as_u16(),
                    Value::String(page.text().await.unwrap_or_default()),
                ),
                Err(error) => (0, Value::String(error.to_string())),
            }
        }
    }
}

async fn place(shop: &DevProcess, n: usize) -> (String, String) {
    let (status, placed) = shop.place(&format!("Racer {n}")).await;
    assert_eq!(status, 201, "{placed}");
    let text = |field: &str| placed[field].as_str().unwrap_or_default().to_owned();
    (text("orderId"), text("customerToken"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_fulfils_make_exactly_one_transition_and_one_delivery_per_order() {
    let data = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start(data.path(), &project_file("serverless.yml"));
    let placed = join_all((0..ORDERS).map(|n| place(&shop, n))).await;
    let links: HashMap<String, String> = eventually("every baker email", PATIENCE, || async {
        let links: HashMap<String, String> = shop
            .mail()
            .await
            .iter()
            .map(|email| {
                (
                    email["orderId"].as_str().unwrap_or_default().to_owned(),
                    link_token(email),
                )
            })
            .collect();
        placed.iter().all(|(id, _)| links.contains_key(id)).then_some(links)
    })
    .await;

    // 2 to 4 callers per order, every caller of every order released at once.
    let kinds = [Caller::BakerKey, Caller::LinkAsBearer, Caller::LinkButton];
    let racers = placed.iter().enumerate().flat_map(|(n, (order_id, _))| {
        let link = &links[order_id];
        let shop = &shop;
        (0..2 + n % 3).map(move |caller| {
            let kind = kinds[(n + caller) % kinds.len()];
            async move { (order_id.clone(), kind, fulfil(shop, order_id, link, kind).await) }
        })
    });
    let answers = join_all(racers).await;

    for (order_id, _) in &placed {
        let (status, order) = shop.get(&format!("/order/{order_id}"), Some(&shop.baker_key)).await;
        assert_eq!(status, 200, "{order}");
        let at = fulfilled_at(&order);
        let mut links_that_worked = 0;
        for (_, kind, (status, answer)) in answers.iter().filter(|(id, ..)| id == order_id) {
            match (kind, status) {
                (Caller::BakerKey | Caller::LinkAsBearer, 200) => {
                    assert_eq!(
                        fulfilled_at(answer),
                        at,
                        "{order_id}: every answer shows the one transition"
                    );
                }
                // Too late for a transition: a used link, or the courier already has the cake.
                (Caller::BakerKey | Caller::LinkAsBearer, 409) => {
                    assert_eq!(answer["error"]["code"], "illegal_transition")
                }
                (Caller::LinkButton, 200 | 409) => {}
                _ => panic!("{order_id}: {kind:?} got {status} {answer}"),
            }
            links_that_worked += usize::from(*kind != Caller::BakerKey && *status == 200);
        }
        assert!(
            links_that_worked <= 1,
            "{order_id}: one link worked {links_that_worked} times"
        );
    }

    // The courier hears of each order once; repeats the stand-in recognised do not count.
    let fresh_deliveries = || async {
        let mut fresh: HashMap<String, usize> = HashMap::new();
        for call in shop
            .partner_calls("delivery")
            .await
            .iter()
            .filter(|c| c["repeat"] == false)
        {
            *fresh
                .entry(call["body"]["orderId"].as_str().unwrap_or_default().to_owned())
                .or_default() += 1;
        }
        fresh
    };
    eventually("a delivery request for every order", PATIENCE, || async {
        let fresh = fresh_deliveries().await;
        placed.iter().all(|(id, _)| fresh.contains_key(id)).then_some(())
    })
    .await;
    for (order_id, _) in &placed {
        let order = eventually("the courier step", PATIENCE, || async {
            let (_, order) = shop.get(&format!("/order/{order_id}"), Some(&shop.baker_key)).await;
            steps(&order).contains(&"courier_notified".to_owned()).then_some(order)
        })
        .await;
        assert_eq!(
            steps(&order),
            [
                "placed",
                "baker_notified",
                "fulfilled",
                "delivery_requested",
                "courier_notified"
            ],
            "{order_id}"
        );
        assert_eq!(order["status"], "out_for_delivery");
    }
    let fresh = fresh_deliveries().await;
    for (order_id, _) in &placed {
        assert_eq!(fresh.get(order_id), Some(&1), "one delivery for {order_id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_before_fulfilled_is_refused_and_writes_nothing() {
    let data = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start(data.path(), &project_file("serverless.yml"));
    let (order_id, token) = place(&shop, 0).await;
    let path = format!("/order/{order_id}");
    eventually("the baker notified", PATIENCE, || async {
        let (_, order) = shop.get(&path, Some(&token)).await;
        steps(&order).contains(&"baker_notified".to_owned()).then_some(())
    })
    .await;

    let too_soon = json!({ "orderId": order_id, "rating": 1, "feedback": "too-soon-feedback" });
    let (status, answer) = shop.post("/order/delivered", Some(&token), &too_soon).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (409, Some("illegal_transition")),
        "{answer}"
    );
    let (_, order) = shop.get(&path, Some(&token)).await;
    assert_eq!(order["status"], "placed");
    assert_eq!(steps(&order), ["placed", "baker_notified"]);

    // The order goes on as if the early confirmation had never been sent.
    let (status, _) = shop
        .post(
            "/order/fulfilled",
            Some(&shop.baker_key),
            &json!({ "orderId": order_id }),
        )
        .await;
    assert_eq!(status, 200);
    let on_time = json!({ "orderId": order_id, "rating": 4, "feedback": "on time" });
    let (status, answer) = eventually("out for delivery", PATIENCE, || async {
        let (status, answer) = shop.post("/order/delivered", Some(&token), &on_time).await;
        (status != 409).then_some((status, answer))
    })
    .await;
    assert_eq!(status, 200, "{answer}");
    let forwarded = eventually("the feedback forwarded", PATIENCE, || async {
        let calls = shop.partner_calls("customer-service").await;
        (!calls.is_empty()).then_some(calls)
    })
    .await;
    assert_eq!(forwarded.len(), 1, "{forwarded:?}");
    assert_eq!(forwarded[0]["body"]["rating"], 4);
    assert!(!Value::Array(forwarded).to_string().contains("too-soon-feedback"));
}
