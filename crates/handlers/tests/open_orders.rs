//! `GET /orders?status=…`: the baker's listing of the orders in one status, oldest first, a page
//! at a time, behind the baker's key.

use crate::support::envelopes::{as_http, http_request};
use crate::support::{BAKER_KEY, SAMPLE_ORDER, Shop, error_code, status_and_json};
use serde_json::{Value, json};

const IDS: &[&str] = &["o-1", "o-2", "o-3", "o-4", "o-5"];

/// A shop with `count` orders placed a minute apart, from 09:00.
async fn shop_with_orders(count: usize) -> Shop {
    let shop = Shop::new("2026-11-20T09:00:00Z", IDS);
    for minute in 0..count {
        shop.clock.set(&format!("2026-11-20T09:{minute:02}:00Z"));
        assert_eq!(shop.place(SAMPLE_ORDER).await.0, 201);
    }
    shop
}

/// `GET /orders` with these query parameters and this bearer token, if any.
async fn list(shop: &Shop, query: &[(&str, &str)], bearer: Option<&str>) -> (i64, Value) {
    let headers = bearer.map(|token| json!({ "authorization": format!("Bearer {token}") }));
    let mut request = http_request("GET", "/orders", "/orders", headers.unwrap_or_default(), None);
    let raw: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    request["rawQueryString"] = json!(raw);
    let parameters: serde_json::Map<String, Value> = query
        .iter()
        .map(|(name, value)| ((*name).to_owned(), json!(value)))
        .collect();
    request["queryStringParameters"] = Value::Object(parameters);
    status_and_json(&shop.order_queries.handle(as_http(&request)).await)
}

/// Query parameters as (name, value) pairs.
type Query<'a> = &'a [(&'a str, &'a str)];

fn ids(listing: &Value) -> Vec<&str> {
    listing["orders"]
        .as_array()
        .map(|orders| orders.iter().filter_map(|o| o["orderId"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_baker_pages_through_placed_orders_oldest_first() {
    let shop = shop_with_orders(5).await;
    let (status, first) = list(&shop, &[("status", "placed"), ("limit", "2")], Some(BAKER_KEY)).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(ids(&first), ["o-1", "o-2"]);
    assert_eq!(first["orders"][0]["status"], "placed");
    assert_eq!(
        first["orders"][0]["customer"]["name"], "Ada Lovelace",
        "whole orders, as GET /order shows them"
    );
    assert_eq!(first["orders"][0]["history"][0]["step"], "placed");

    let cursor = first["nextCursor"].as_str().expect("a next page").to_owned();
    let (_, second) = list(
        &shop,
        &[("status", "placed"), ("limit", "2"), ("cursor", &cursor)],
        Some(BAKER_KEY),
    )
    .await;
    assert_eq!(ids(&second), ["o-3", "o-4"]);
    let cursor = second["nextCursor"].as_str().expect("a next page").to_owned();
    let (_, last) = list(
        &shop,
        &[("status", "placed"), ("limit", "2"), ("cursor", &cursor)],
        Some(BAKER_KEY),
    )
    .await;
    assert_eq!(ids(&last), ["o-5"]);
    assert_eq!(last["nextCursor"], Value::Null, "nothing after the last page");

    let (_, everything) = list(&shop, &[("status", "placed")], Some(BAKER_KEY)).await;
    assert_eq!(
        ids(&everything),
        ["o-1", "o-2", "o-3", "o-4", "o-5"],
        "fifty by default"
    );
    assert_eq!(everything["nextCursor"], Value::Null);
}

#[tokio::test]
async fn an_order_is_listed_under_the_status_it_is_in_now() {
    let shop = shop_with_orders(3).await;
    assert_eq!(shop.fulfil("o-2", Some(BAKER_KEY)).await.0, 200);
    let placed = list(&shop, &[("status", "placed")], Some(BAKER_KEY)).await.1;
    assert_eq!(ids(&placed), ["o-1", "o-3"]);
    let fulfilled = list(&shop, &[("status", "fulfilled")], Some(BAKER_KEY)).await.1;
    assert_eq!(ids(&fulfilled), ["o-2"]);

    shop.drain_stream().await;
    let out = list(&shop, &[("status", "out_for_delivery")], Some(BAKER_KEY)).await.1;
    assert_eq!(ids(&out), ["o-2"], "request-delivery moved it on");
    assert!(ids(&list(&shop, &[("status", "fulfilled")], Some(BAKER_KEY)).await.1).is_empty());
    let delivered = list(&shop, &[("status", "delivered")], Some(BAKER_KEY)).await;
    assert_eq!(
        (delivered.0, ids(&delivered.1).len()),
        (200, 0),
        "delivered orders can be listed too"
    );
}

#[tokio::test]
async fn only_the_baker_may_list_orders() {
    let shop = Shop::new("2026-11-20T09:00:00Z", IDS);
    let (_, customer_token) = shop.place_sample().await;
    for bearer in [None, Some("wrong-key"), Some(customer_token.as_str())] {
        let (status, body) = list(&shop, &[("status", "placed")], bearer).await;
        assert_eq!((status, error_code(&body)), (401, "unauthorized"), "{bearer:?}");
        assert!(body.get("orders").is_none(), "nothing listed");
    }
}

#[tokio::test]
async fn bad_parameters_are_refused_with_the_error_shape() {
    let shop = shop_with_orders(2).await;
    let placed_cursor = {
        let (_, page) = list(&shop, &[("status", "placed"), ("limit", "1")], Some(BAKER_KEY)).await;
        page["nextCursor"].as_str().expect("a next page").to_owned()
    };
    let cases: [(Query, i64, &str); 8] = [
        (&[], 422, "invalid"),
        (&[("status", "baking")], 422, "invalid"),
        (&[("status", "placed"), ("limit", "0")], 422, "invalid"),
        (&[("status", "placed"), ("limit", "101")], 422, "invalid"),
        (&[("status", "placed"), ("limit", "ten")], 422, "invalid"),
        (&[("status", "placed"), ("cursor", "not-a-cursor")], 400, "malformed"),
        (&[("status", "placed"), ("cursor", "")], 400, "malformed"),
        (&[("status", "fulfilled"), ("cursor", &placed_cursor)], 400, "malformed"),
    ];
    for (query, want_status, want_code) in cases {
        let (status, body) = list(&shop, query, Some(BAKER_KEY)).await;
        assert_eq!(
            (status, error_code(&body)),
            (want_status, want_code),
            "{query:?}: {body}"
        );
    }
    let (status, page) = list(&shop, &[("status", "placed"), ("limit", "100")], Some(BAKER_KEY)).await;
    assert_eq!((status, ids(&page).len()), (200, 2), "100 is allowed");
}

#[tokio::test]
async fn a_failing_store_is_a_500_without_details() {
    let shop = shop_with_orders(1).await;
    shop.orders.fail_next(1);
    let (status, body) = list(&shop, &[("status", "placed")], Some(BAKER_KEY)).await;
    assert_eq!((status, error_code(&body)), (500, "internal"));
    assert!(!body.to_string().contains("injected"), "{body}");
}
