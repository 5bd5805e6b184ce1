//! The client limits, on the handlers: over a limit the answer is `429` with `Retry-After` and
//! nothing is written; the client is the source address API Gateway saw, whatever headers say;
//! one client's limit is not another's; a wrong baker key counts, a right one does not; a
//! place-and-cancel loop sends one address at most 3 emails.

use crate::support::envelopes::{as_http, http_request};
use crate::support::{BAKER_KEY, Shop, body_text, header, status_and_json};
use cakeshop_domain::ClientLimits;
use serde_json::{Value, json};

const IDS: [&str; 12] = [
    "l01", "l02", "l03", "l04", "l05", "l06", "l07", "l08", "l09", "l10", "l11", "l12",
];
const ORDER: &str = r#"{"name":"Ada","address":"1 Lane","productId":1,"quantity":1,"deliveryDate":"2026-11-24"}"#;

fn shop() -> Shop {
    Shop::with_limits("2026-11-20T09:00:10Z", &IDS, ClientLimits::default())
}

/// A request from `client`, with whatever headers it chose to send.
fn from(client: &str, mut request: Value) -> Value {
    request["requestContext"]["http"]["sourceIp"] = json!(client);
    request
}

async fn place_from(shop: &Shop, client: &str, headers: Value) -> (i64, Value, String) {
    let request = from(client, http_request("POST", "/order", "/order", headers, Some(ORDER)));
    let response = shop.place_order.handle(as_http(&request)).await;
    let retry_after = header(&response, "retry-after").to_owned();
    let (status, body) = status_and_json(&response);
    (status, body, retry_after)
}

#[tokio::test]
async fn a_client_over_its_order_limit_gets_429_and_another_still_orders_for_the_same_day() {
    let shop = shop();
    for n in 1..=5 {
        let (status, body, _) = place_from(&shop, "198.51.100.1", json!({})).await;
        assert_eq!(status, 201, "order {n}: {body}");
    }
    let before = shop.written();
    // Another X-Forwarded-For each time: the handler believes only the source address.
    let spoofed = json!({ "x-forwarded-for": "192.0.2.99" });
    let (status, body, retry_after) = place_from(&shop, "198.51.100.1", spoofed).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "too_many_requests");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Too many orders")
    );
    // 09:00:10: the minute's window ends 50 s later.
    assert_eq!(retry_after, "50");
    assert_eq!(shop.written(), before, "a refused order writes nothing");

    let (status, body, _) = place_from(&shop, "198.51.100.2", json!({})).await;
    assert_eq!(status, 201, "another client, the same day: {body}");
    assert_eq!(body["deliveryDate"], "2026-11-24");

    shop.clock.set("2026-11-20T09:01:00Z");
    let (status, body, _) = place_from(&shop, "198.51.100.1", json!({})).await;
    assert_eq!(status, 201, "the next minute has room again: {body}");
}

#[tokio::test]
async fn a_bad_order_counts_nothing_and_the_storefront_form_is_refused_with_a_page() {
    let shop = shop();
    for _ in 0..10 {
        let request = from(
            "198.51.100.3",
            http_request("POST", "/order", "/order", json!({}), Some(r#"{"name":""}"#)),
        );
        assert_eq!(
            status_and_json(&shop.place_order.handle(as_http(&request)).await).0,
            422
        );
    }
    for n in 1..=5 {
        assert_eq!(place_from(&shop, "198.51.100.3", json!({})).await.0, 201, "order {n}");
    }
    let form = "name=Ada&address=1+Lane&productId=1&quantity=1&deliveryDate=2026-11-24";
    let headers = json!({ "content-type": "application/x-www-form-urlencoded" });
    let request = from(
        "198.51.100.3",
        http_request("POST", "/order", "/order", headers, Some(form)),
    );
    let response = shop.place_order.handle(as_http(&request)).await;
    assert_eq!(response.status_code, 429);
    assert_eq!(header(&response, "retry-after"), "50");
    assert!(body_text(&response).contains("Too many orders from your address"));
}

fn sign_in(client: &str, key: &str) -> Value {
    let headers = json!({ "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" });
    from(
        client,
        http_request(
            "POST",
            "/baker/sign-in",
            "/baker/sign-in",
            headers,
            Some(&format!("key={key}")),
        ),
    )
}

#[tokio::test]
async fn five_wrong_baker_keys_lock_the_client_out_but_right_keys_count_nothing() {
    let shop = shop();
    for _ in 0..8 {
        let response = shop
            .order_queries
            .handle(as_http(&sign_in("198.51.100.4", BAKER_KEY)))
            .await;
        assert_eq!(response.status_code, 303, "the baker signs in as often as they like");
    }
    for n in 1..=5 {
        let response = shop
            .order_queries
            .handle(as_http(&sign_in("198.51.100.4", "guess")))
            .await;
        assert_eq!(response.status_code, 401, "wrong key {n}");
    }
    let response = shop
        .order_queries
        .handle(as_http(&sign_in("198.51.100.4", BAKER_KEY)))
        .await;
    assert_eq!(response.status_code, 429, "even the right key, once locked out");
    // 15-minute windows: 09:00:00 to 09:15:00.
    assert_eq!(header(&response, "retry-after"), "890");
    let elsewhere = shop
        .order_queries
        .handle(as_http(&sign_in("198.51.100.5", BAKER_KEY)))
        .await;
    assert_eq!(elsewhere.status_code, 303, "the baker from another address");
}

#[tokio::test]
async fn wrong_order_links_are_limited_per_client() {
    let shop = shop();
    let (order_id, token) = shop.place_sample().await;
    let track = |client: &str, t: &str| {
        let mut request = http_request(
            "GET",
            "/track/{orderId}",
            &format!("/track/{order_id}"),
            json!({}),
            None,
        );
        request["pathParameters"] = json!({ "orderId": order_id });
        request["queryStringParameters"] = json!({ "t": t });
        from(client, request)
    };
    for _ in 0..10 {
        let response = shop
            .order_queries
            .handle(as_http(&track("198.51.100.6", "guess")))
            .await;
        assert_eq!(response.status_code, 403);
    }
    let response = shop.order_queries.handle(as_http(&track("198.51.100.6", &token))).await;
    assert_eq!(response.status_code, 429, "refused before the token is checked");
    let response = shop.order_queries.handle(as_http(&track("198.51.100.7", &token))).await;
    assert_eq!(response.status_code, 200, "the customer, from their own address");
}

#[tokio::test]
async fn a_place_and_cancel_loop_sends_one_address_at_most_three_emails() {
    let shop = shop();
    let order = r#"{"name":"Ada","address":"1 Lane","productId":1,"quantity":1,"email":"Stranger@Example.com"}"#;
    let mut refused = 0;
    for round in 0..6 {
        // A new client each round: the recipient's limit holds whoever asks.
        let client = format!("198.51.100.{}", 20 + round);
        let request = from(
            &client,
            http_request("POST", "/order", "/order", json!({}), Some(order)),
        );
        let (status, placed) = status_and_json(&shop.place_order.handle(as_http(&request)).await);
        if status == 429 {
            assert_eq!(placed["error"]["code"], "too_many_requests");
            refused += 1;
            continue;
        }
        assert_eq!(status, 201, "{placed}");
        shop.drain_stream().await;
        let (order_id, token) = (
            placed["orderId"].as_str().unwrap_or_default(),
            placed["customerToken"].as_str(),
        );
        assert_eq!(shop.cancel(order_id, None, token).await.0, 200);
        shop.drain_stream().await;
    }
    let to_stranger = shop
        .mailer
        .sent
        .lock()
        .expect("mailbox")
        .iter()
        .filter(|email| email.to.eq_ignore_ascii_case("stranger@example.com"))
        .count();
    assert_eq!(
        to_stranger, 3,
        "a confirmation and a cancellation, then one confirmation"
    );
    assert_eq!(
        refused, 4,
        "once the address has had its three, new orders naming it are refused"
    );
    assert_eq!(
        shop.written().emails,
        to_stranger + 4,
        "the baker still heard of both orders placed and both cancelled"
    );
}

#[tokio::test]
async fn an_email_retried_after_an_outage_counts_once_against_its_recipient() {
    use crate::support::envelopes::{as_kinesis, kinesis_event};
    use crate::support::failed_sequence_numbers;
    let limits = ClientLimits::parse("recipient=2/1d").expect("limits");
    let shop = Shop::with_limits("2026-11-20T09:00:10Z", &IDS, limits);
    let order = r#"{"name":"Ada","address":"1 Lane","productId":1,"quantity":1,"email":"ada@example.com"}"#;
    assert_eq!(shop.place(order).await.0, 201);
    let batch = as_kinesis(&kinesis_event(&shop.stream.taken(), 100, 0));
    shop.mailer.fail_next(3);
    for attempt in 0..3 {
        let response = shop.notify_customer.handle(batch.clone()).await;
        assert_eq!(
            failed_sequence_numbers(&response).len(),
            1,
            "attempt {attempt} is retried"
        );
    }
    let response = shop.notify_customer.handle(batch).await;
    assert!(failed_sequence_numbers(&response).is_empty());
    assert_eq!(
        shop.mailer.sent.lock().expect("mailbox").len(),
        1,
        "the confirmation, once"
    );
    let (status, body) = shop.place(order).await;
    assert_eq!(status, 201, "one of the address's two emails is left: {body}");
}

#[tokio::test]
async fn the_baker_key_cannot_be_guessed_through_the_api_either() {
    let shop = shop();
    let change_shop = |client: &str, key: &str| {
        let headers = json!({ "authorization": format!("Bearer {key}"), "content-type": "application/json" });
        from(
            client,
            http_request("PUT", "/shop", "/shop", headers, Some(r#"{"open": true}"#)),
        )
    };
    for n in 1..=5 {
        let (status, _) = status_and_json(
            &shop
                .manage_shop
                .handle(as_http(&change_shop("198.51.100.8", "guess")))
                .await,
        );
        assert_eq!(status, 403, "wrong key {n}");
    }
    let listing = from(
        "198.51.100.8",
        http_request(
            "GET",
            "/orders",
            "/orders",
            json!({ "authorization": format!("Bearer {BAKER_KEY}") }),
            None,
        ),
    );
    let (status, body) = status_and_json(&shop.order_queries.handle(as_http(&listing)).await);
    assert_eq!(status, 429, "the same limit on every baker route: {body}");
    let (status, _) = status_and_json(
        &shop
            .manage_shop
            .handle(as_http(&change_shop("198.51.100.9", BAKER_KEY)))
            .await,
    );
    assert_eq!(status, 200, "the baker, from elsewhere");
}

#[tokio::test]
async fn wrong_tokens_at_the_fulfil_route_count_as_sign_in_failures_and_the_right_key_does_not() {
    let shop = shop();
    let (order_id, _) = shop.place_sample().await;
    let fulfil = |client: &str, bearer: &str| {
        let headers = json!({ "authorization": format!("Bearer {bearer}"), "content-type": "application/json" });
        let body = json!({ "orderId": order_id }).to_string();
        from(
            client,
            http_request("POST", "/order/fulfilled", "/order/fulfilled", headers, Some(&body)),
        )
    };
    for _ in 0..8 {
        // The baker's key, again and again (a repeat of a fulfilled order answers 200).
        let (status, body) = status_and_json(
            &shop
                .fulfill_order
                .handle(as_http(&fulfil("198.51.100.10", BAKER_KEY)))
                .await,
        );
        assert_eq!(status, 200, "{body}");
    }
    for n in 1..=5 {
        let (status, _) = status_and_json(
            &shop
                .fulfill_order
                .handle(as_http(&fulfil("198.51.100.10", "forged.1.x")))
                .await,
        );
        assert_eq!(status, 401, "wrong token {n}");
    }
    let (status, body) = status_and_json(
        &shop
            .fulfill_order
            .handle(as_http(&fulfil("198.51.100.10", BAKER_KEY)))
            .await,
    );
    assert_eq!(status, 429, "{body}");
}
