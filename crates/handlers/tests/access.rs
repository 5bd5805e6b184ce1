//! Who may do what: the baker's key and signed links, customer tokens, and the page behind the
//! email's link that only shows until its button is pressed.

use crate::support;

use crate::support::envelopes::{as_http, http_request};
use crate::support::{BAKER_KEY, Shop, body_text, error_code};
use serde_json::json;

fn shop() -> Shop {
    Shop::new("2026-11-20T09:00:00Z", &["b1", "b2"])
}

/// The token in the link of the newest email to the baker.
fn link_token(shop: &Shop) -> String {
    let sent = shop.mailer.sent.lock().expect("mailbox");
    let text = &sent.last().expect("an email").text;
    let start = text.find("token=").expect("a link") + "token=".len();
    text[start..].split_whitespace().next().unwrap_or_default().to_owned()
}

fn page_request(token: &str) -> serde_json::Value {
    let mut request = http_request("GET", "/order/fulfilled", "/order/fulfilled", json!({}), None);
    request["rawQueryString"] = json!(format!("token={token}"));
    request["queryStringParameters"] = json!({ "token": token });
    request
}

fn form_request(token: &str) -> serde_json::Value {
    let body = format!("token={token}");
    let headers = json!({ "content-type": "application/x-www-form-urlencoded" });
    http_request("POST", "/order/fulfilled", "/order/fulfilled", headers, Some(&body))
}

#[tokio::test]
async fn the_baker_needs_the_key_or_a_genuine_link() {
    let shop = shop();
    let (order_id, customer_token) = shop.place_sample().await;
    assert_eq!(shop.fulfil(&order_id, None).await.0, 401);
    let (status, response) = shop.fulfil(&order_id, Some("wrong-key")).await;
    assert_eq!((status, error_code(&response)), (401, "unauthorized"));
    assert_eq!(
        shop.fulfil(&order_id, Some(&customer_token)).await.0,
        401,
        "a customer token is not the baker's"
    );
    assert_eq!(shop.read(&order_id, Some(BAKER_KEY)).await.1["status"], "placed");

    shop.drain_stream().await;
    let token = link_token(&shop);
    let (other_id, _) = shop.place_sample().await;
    let (status, response) = shop.fulfil(&other_id, Some(&token)).await;
    assert_eq!(
        (status, error_code(&response)),
        (403, "forbidden"),
        "a link opens only its own order"
    );
    let (status, order) = shop.fulfil(&order_id, Some(&token)).await;
    assert_eq!((status, &order["status"]), (200, &json!("fulfilled")));
}

#[tokio::test]
async fn the_link_page_shows_without_changing_and_its_button_fulfils() {
    let shop = shop();
    let (order_id, _) = shop.place_sample().await;
    shop.drain_stream().await;
    let token = link_token(&shop);

    for _ in 0..3 {
        let page = shop.fulfill_order.handle(as_http(&page_request(&token))).await;
        assert_eq!(page.status_code, 200);
        let html = body_text(&page);
        assert!(
            html.contains("Ada Lovelace") && html.contains("The cake is ready"),
            "{html}"
        );
        assert!(html.contains("method=\"post\""));
    }
    assert_eq!(
        shop.read(&order_id, Some(BAKER_KEY)).await.1["status"],
        "placed",
        "a GET never changes anything"
    );
    assert!(shop.stream.taken().is_empty());

    let done = shop.fulfill_order.handle(as_http(&form_request(&token))).await;
    assert_eq!(done.status_code, 200, "{}", body_text(&done));
    assert_eq!(shop.read(&order_id, Some(BAKER_KEY)).await.1["status"], "fulfilled");
    assert_eq!(shop.stream.taken().len(), 1);

    let page = shop.fulfill_order.handle(as_http(&page_request(&token))).await;
    assert!(
        !body_text(&page).contains("<button"),
        "no button once the cake is ready"
    );
}

#[tokio::test]
async fn tampered_and_expired_links_are_refused() {
    let shop = shop();
    let (order_id, _) = shop.place_sample().await;
    shop.drain_stream().await;
    let token = link_token(&shop);
    let tampered = format!("{}x", token);
    for bad in [tampered.as_str(), "", "b1.1.AAAA"] {
        assert_eq!(
            shop.fulfill_order.handle(as_http(&page_request(bad))).await.status_code,
            403
        );
        assert_eq!(
            shop.fulfill_order.handle(as_http(&form_request(bad))).await.status_code,
            401
        );
    }
    shop.clock.set("2026-11-28T09:00:01Z");
    let expired = shop.fulfill_order.handle(as_http(&form_request(&token))).await;
    assert_eq!(expired.status_code, 401);
    assert!(body_text(&expired).contains("expired"));
    assert_eq!(shop.read(&order_id, Some(BAKER_KEY)).await.1["status"], "placed");
}

#[tokio::test]
async fn customers_read_only_their_own_orders() {
    let shop = shop();
    let (mine, my_token) = shop.place_sample().await;
    let (theirs, _) = shop.place_sample().await;
    assert_eq!(shop.read(&mine, None).await.0, 401);
    assert_eq!(shop.read(&mine, Some(&my_token)).await.0, 200);
    let (status, response) = shop.read(&theirs, Some(&my_token)).await;
    assert_eq!((status, error_code(&response)), (403, "forbidden"));
    assert!(
        !response.to_string().contains("Ada"),
        "nothing of the other order leaks"
    );
    assert_eq!(shop.read(&theirs, Some(BAKER_KEY)).await.0, 200);
    assert_eq!(shop.read("nosuchorder", Some(BAKER_KEY)).await.0, 404);
    assert_eq!(shop.read("../etc", Some(BAKER_KEY)).await.0, 404);
}

#[tokio::test]
async fn the_catalogue_is_public() {
    let shop = shop();
    let (status, body) = shop.manage("GET", "/products", "/products", None, None).await;
    assert_eq!(status, 200, "{body}");
    let products = body["products"].as_array().expect("products");
    assert_eq!(products.len(), 6, "{body}");
    assert!(
        products
            .iter()
            .any(|p| p["productId"] == 1 && p["priceCents"] == 3450 && p["available"] == true),
        "{body}"
    );
}

#[tokio::test]
async fn fulfilling_twice_is_idempotent_and_later_steps_cannot_be_undone() {
    let shop = shop();
    let (order_id, token) = shop.place_sample().await;
    shop.stream.taken();
    assert_eq!(shop.fulfil(&order_id, Some(BAKER_KEY)).await.0, 200);
    let (status, again) = shop.fulfil(&order_id, Some(BAKER_KEY)).await;
    assert_eq!((status, &again["status"]), (200, &json!("fulfilled")));
    let events = shop.stream.taken();
    assert_eq!(
        events.len(),
        2,
        "the repeat announces again, in case the first announcement was lost"
    );
    assert_eq!(
        events[0].event_id(),
        events[1].event_id(),
        "with the same event id, for consumers to drop"
    );

    shop.stream.events.lock().expect("stream").extend(events);
    shop.drain_stream().await;
    let body = json!({ "orderId": order_id }).to_string();
    assert_eq!(shop.confirm(&body, Some(&token)).await.0, 200);
    let (status, response) = shop.fulfil(&order_id, Some(BAKER_KEY)).await;
    assert_eq!((status, error_code(&response)), (409, "illegal_transition"));
    assert_eq!(shop.fulfil("nosuchorder", Some(BAKER_KEY)).await.0, 404);
}

/// `POST /order/fulfilled` for `order_id` with this exact `Authorization` header.
async fn fulfil_with_header(shop: &Shop, order_id: &str, authorization: &str) -> (i64, serde_json::Value) {
    let mut request = support::json_post("/order/fulfilled", None, &json!({ "orderId": order_id }).to_string());
    request["headers"]["authorization"] = json!(authorization);
    support::status_and_json(&shop.fulfill_order.handle(as_http(&request)).await)
}

#[tokio::test]
async fn the_baker_key_counts_only_as_a_bearer_token() {
    let shop = shop();
    let (order_id, _) = shop.place_sample().await;
    shop.stream.taken();
    for header in [
        format!("Basic {BAKER_KEY}"),
        BAKER_KEY.to_owned(),
        "Bearer".to_owned(),
        "Bearer  ".to_owned(),
        format!("Bearer {BAKER_KEY}x"),
        format!("Bearer {}", &BAKER_KEY[..BAKER_KEY.len() - 1]),
    ] {
        let (status, response) = fulfil_with_header(&shop, &order_id, &header).await;
        assert_eq!((status, error_code(&response)), (401, "unauthorized"), "{header:?}");
    }
    assert_eq!(shop.read(&order_id, Some(BAKER_KEY)).await.1["status"], "placed");
    assert!(shop.stream.taken().is_empty(), "nothing announced");
}

#[tokio::test]
async fn tampered_expired_and_foreign_links_are_refused_as_bearer_tokens_too() {
    let shop = shop();
    let (order_id, _) = shop.place_sample().await;
    shop.drain_stream().await;
    let token = link_token(&shop);
    let (id, expires, signature) = {
        let parts: Vec<&str> = token.splitn(3, '.').collect();
        (parts[0].to_owned(), parts[1].to_owned(), parts[2].to_owned())
    };
    let later: i64 = expires.parse::<i64>().expect("expiry") + 3600;
    let flipped_signature = format!(
        "{}{}",
        &signature[..signature.len() - 1],
        if signature.ends_with('A') { 'B' } else { 'A' }
    );
    let foreign_secret = cakeshop_handlers::Signer::new("another shop's secret").baker_link_token(
        &cakeshop_domain::OrderId::parse(&id).expect("id"),
        support::fakes::parse_time("2026-12-01T00:00:00Z"),
    );
    let refused = [
        format!("{id}.{later}.{signature}"),
        format!("{id}.{expires}.{flipped_signature}"),
        format!("{id}.{expires}"),
        foreign_secret,
    ];
    for bad in &refused {
        let (status, response) = shop.fulfil(&order_id, Some(bad)).await;
        assert_eq!((status, error_code(&response)), (401, "unauthorized"), "{bad}");
        assert_eq!(
            shop.fulfill_order.handle(as_http(&page_request(bad))).await.status_code,
            403,
            "{bad}"
        );
    }

    shop.clock.set("2026-11-28T09:00:01Z");
    let (status, response) = shop.fulfil(&order_id, Some(&token)).await;
    assert_eq!((status, error_code(&response)), (401, "unauthorized"));
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired")
    );
    let page = shop.fulfill_order.handle(as_http(&page_request(&token))).await;
    assert_eq!(page.status_code, 403);
    assert!(
        !body_text(&page).contains("Ada"),
        "an expired link shows nothing of the order"
    );

    assert_eq!(shop.read(&order_id, Some(BAKER_KEY)).await.1["status"], "placed");
    assert!(shop.stream.taken().is_empty(), "nothing announced");
}

/// Places an order for someone other than the sample's Ada, with a name and address to look for.
async fn place_for_grace(shop: &Shop) -> (String, String) {
    let body = json!({
        "name": "Grace Hopper",
        "address": "7 Compiler Court, Arlington",
        "productId": 3,
        "quantity": 1,
        "email": "grace@example.com",
        "notes": "Leave with the neighbour"
    });
    let (status, placed) = shop.place(&body.to_string()).await;
    assert_eq!(status, 201, "{placed}");
    let text = |field: &str| placed[field].as_str().unwrap_or_default().to_owned();
    (text("orderId"), text("customerToken"))
}

fn leaks_grace(response: &serde_json::Value) -> bool {
    let text = response.to_string();
    [
        "Grace",
        "Hopper",
        "Compiler Court",
        "grace@example.com",
        "neighbour",
        "Red velvet",
    ]
    .iter()
    .any(|secret| text.contains(secret))
}

#[tokio::test]
async fn one_customers_token_neither_reads_nor_confirms_anothers_order() {
    let shop = Shop::new("2026-11-20T09:00:00Z", &["ada", "grace"]);
    let (_, ada_token) = shop.order_out_for_delivery().await;
    let (grace_id, _) = place_for_grace(&shop).await;
    assert_eq!(shop.fulfil(&grace_id, Some(BAKER_KEY)).await.0, 200);
    shop.drain_stream().await;
    assert_eq!(
        shop.read(&grace_id, Some(BAKER_KEY)).await.1["status"],
        "out_for_delivery"
    );

    let (status, response) = shop.read(&grace_id, Some(&ada_token)).await;
    assert_eq!((status, error_code(&response)), (403, "forbidden"));
    assert!(!leaks_grace(&response), "{response}");
    let (unknown_status, _) = shop.read("nosuchorder", Some(&ada_token)).await;
    assert_eq!(
        unknown_status, status,
        "an unknown order looks the same: no probing for ids"
    );

    let confirmation = json!({ "orderId": grace_id, "rating": 1, "feedback": "never came" }).to_string();
    let (status, response) = shop.confirm(&confirmation, Some(&ada_token)).await;
    assert_eq!((status, error_code(&response)), (403, "forbidden"));
    assert!(!leaks_grace(&response), "{response}");

    let (_, grace) = shop.read(&grace_id, Some(BAKER_KEY)).await;
    assert_eq!(grace["status"], "out_for_delivery", "nothing changed");
    assert!(shop.feedback_queue.taken().is_empty(), "no feedback in Grace's name");
}

#[tokio::test]
async fn only_the_customer_confirms_a_delivery_and_a_baker_link_opens_no_customer_route() {
    let shop = shop();
    let (order_id, _) = shop.order_out_for_delivery().await;
    let link = {
        let expires = support::fakes::parse_time("2026-11-27T09:00:00Z");
        cakeshop_handlers::Signer::new(support::SIGNING_SECRET)
            .baker_link_token(&cakeshop_domain::OrderId::parse(&order_id).expect("id"), expires)
    };
    let confirmation = json!({ "orderId": order_id }).to_string();
    for bearer in [BAKER_KEY, link.as_str()] {
        let (status, response) = shop.confirm(&confirmation, Some(bearer)).await;
        assert_eq!((status, error_code(&response)), (403, "forbidden"), "{bearer}");
    }
    let (status, response) = shop.read(&order_id, Some(&link)).await;
    assert_eq!((status, error_code(&response)), (403, "forbidden"));
    assert!(!response.to_string().contains("Ada"));
    assert_eq!(
        shop.read(&order_id, Some(BAKER_KEY)).await.1["status"],
        "out_for_delivery"
    );
    assert!(shop.feedback_queue.taken().is_empty());
}

#[tokio::test]
async fn a_link_works_once_then_is_refused_without_a_second_announcement() {
    let shop = shop();
    let (order_id, _) = shop.place_sample().await;
    shop.drain_stream().await;
    let token = link_token(&shop);

    let pressed = shop.fulfill_order.handle(as_http(&form_request(&token))).await;
    assert_eq!(pressed.status_code, 200, "{}", body_text(&pressed));
    let announced = shop.stream.taken();
    assert_eq!(announced.len(), 1, "the first use announces the fulfilment");

    let again = shop.fulfill_order.handle(as_http(&form_request(&token))).await;
    assert_eq!(again.status_code, 409, "{}", body_text(&again));
    let (status, response) = shop.fulfil(&order_id, Some(&token)).await;
    assert_eq!((status, error_code(&response)), (409, "illegal_transition"));
    assert!(shop.stream.taken().is_empty(), "a used link announces nothing again");
    assert_eq!(shop.read(&order_id, Some(BAKER_KEY)).await.1["status"], "fulfilled");
}
