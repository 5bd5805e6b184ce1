//! Who may do what: the baker's key and signed links, customer tokens, and the page behind the
//! email's link that only shows until its button is pressed.

mod support;

use serde_json::json;
use support::envelopes::{as_http, http_request};
use support::{BAKER_KEY, Shop, body_text, error_code};

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
    let request = http_request("GET", "/products", "/products", json!({}), None);
    let (status, body) = support::status_and_json(&shop.order_queries.handle(as_http(&request)).await);
    assert_eq!(status, 200);
    let products = body["products"].as_array().expect("products");
    assert!(
        products
            .iter()
            .any(|p| p["id"] == "chocolate-fudge" && p["priceCents"] == 3450)
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
