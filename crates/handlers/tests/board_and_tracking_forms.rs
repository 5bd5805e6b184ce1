//! The baker's board and the tracking page's forms, as the handlers serve them: signing in,
//! the board's orders and "new" marks, marking a cake ready, declining, the shop's settings; the
//! customer's cancel and "I've received my cake". Every refused form writes nothing.

use crate::support::envelopes::{as_http, http_request};
use crate::support::{BAKER_KEY, Shop, body_text, header};
use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use cakeshop_domain::{CancelledBy, OrderId, Status};
use cakeshop_handlers::pages::POLICY;
use serde_json::{Value, json};

const START: &str = "2026-11-20T09:00:00Z";

fn shop() -> Shop {
    Shop::new(START, &["o-1", "o-2", "o-3"])
}

fn form(path: &str, route: &str, fields: &[(&str, &str)], cookies: &[String], headers: Value) -> Value {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let mut all = json!({ "content-type": "application/x-www-form-urlencoded" });
    if let (Value::Object(all), Value::Object(extra)) = (&mut all, headers) {
        all.extend(extra);
    }
    let mut request = http_request("POST", route, path, all, Some(&body));
    request["cookies"] = json!(cookies);
    if let Some(id) = route.contains("{productId}").then(|| path.rsplit('/').next()).flatten() {
        request["pathParameters"] = json!({ "productId": id });
    }
    request
}

/// The `name=value` part of each `Set-Cookie`.
fn cookies_set(response: &ApiGatewayV2httpResponse) -> Vec<String> {
    response
        .cookies
        .iter()
        .map(|cookie| cookie.split(';').next().unwrap_or_default().to_owned())
        .collect()
}

async fn board(shop: &Shop, cookies: &[String], query: Option<(&str, &str)>) -> (i64, String) {
    let mut request = http_request("GET", "/baker", "/baker", json!({}), None);
    request["cookies"] = json!(cookies);
    if let Some((name, value)) = query {
        request["queryStringParameters"] = json!({ name: value });
    }
    let response = shop.order_queries.handle(as_http(&request)).await;
    assert_eq!(header(&response, "content-security-policy"), POLICY);
    (response.status_code, body_text(&response))
}

/// Signs in; returns the session cookie and the board's CSRF token.
async fn sign_in(shop: &Shop) -> (Vec<String>, String) {
    let request = form(
        "/baker/sign-in",
        "/baker/sign-in",
        &[("key", BAKER_KEY)],
        &[],
        json!({}),
    );
    let response = shop.order_queries.handle(as_http(&request)).await;
    assert_eq!(response.status_code, 303, "{}", body_text(&response));
    let set = &response.cookies[0];
    for attribute in ["HttpOnly", "SameSite=Strict", "Max-Age=43200", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    let cookies = cookies_set(&response);
    let (_, page) = board(shop, &cookies, None).await;
    let start = page.find(r#"name="csrf" value=""#).expect("a CSRF token") + r#"name="csrf" value=""#.len();
    let csrf = page[start..].split('"').next().unwrap_or_default().to_owned();
    (cookies, csrf)
}

#[tokio::test]
async fn the_board_needs_the_baker_key_and_shows_new_orders_until_seen() {
    let shop = shop();
    let (status, page) = board(&shop, &[], Some(("order", "o-1"))).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Sign in to the board") && page.contains(r#"name="order" value="o-1""#),
        "{page}"
    );
    let wrong = form("/baker/sign-in", "/baker/sign-in", &[("key", "guess")], &[], json!({}));
    let response = shop.order_queries.handle(as_http(&wrong)).await;
    assert_eq!(response.status_code, 401);
    assert!(response.cookies.is_empty() && body_text(&response).contains("not the baker key"));
    let forged = vec!["cakeshop_baker=9999999999.forged".to_owned()];
    assert!(board(&shop, &forged, None).await.1.contains("Sign in to the board"));

    let (order_id, _) = shop.place_sample().await;
    let (cookies, csrf) = sign_in(&shop).await;
    let (status, page) = board(&shop, &cookies, None).await;
    assert_eq!(status, 200);
    assert!(page.contains("1 new order") && page.contains("badge-new"), "{page}");
    assert!(page.contains(&format!(r#"id="order-{order_id}""#)) && page.contains("Ada Lovelace"));
    assert!(page.contains(r#"src="/assets/live.js""#) && page.contains("data-live="));
    assert!(page.len() < 50_000, "{} bytes", page.len());

    shop.clock.set("2026-11-20T09:05:00Z");
    let seen = form("/baker/seen", "/baker/seen", &[("csrf", &csrf)], &cookies, json!({}));
    let response = shop.order_queries.handle(as_http(&seen)).await;
    assert_eq!(response.status_code, 303);
    let mut with_seen = cookies.clone();
    with_seen.extend(cookies_set(&response));
    let (_, page) = board(&shop, &with_seen, None).await;
    assert!(page.contains("No new orders") && !page.contains("badge-new"), "{page}");
    // A later order is new again.
    shop.clock.set("2026-11-20T09:06:00Z");
    shop.place_sample().await;
    assert!(board(&shop, &with_seen, None).await.1.contains("1 new order"));

    let out = form(
        "/baker/sign-out",
        "/baker/sign-out",
        &[("csrf", &csrf)],
        &cookies,
        json!({}),
    );
    let response = shop.order_queries.handle(as_http(&out)).await;
    assert_eq!(response.status_code, 303);
    assert!(response.cookies[0].starts_with("cakeshop_baker=;") && response.cookies[0].contains("Max-Age=0"));
}

#[tokio::test]
async fn the_baker_marks_a_cake_ready_and_declines_another_from_the_board() {
    let shop = shop();
    let (ready, _) = shop.place_sample().await;
    let (declined, _) = shop.place_sample().await;
    let (cookies, csrf) = sign_in(&shop).await;

    let mark = form(
        "/order/fulfilled",
        "/order/fulfilled",
        &[("orderId", &ready), ("csrf", &csrf)],
        &cookies,
        json!({}),
    );
    let response = shop.fulfill_order.handle(as_http(&mark)).await;
    assert_eq!(response.status_code, 303, "{}", body_text(&response));
    assert_eq!(
        header(&response, "location"),
        format!("/baker?order={ready}#order-{ready}")
    );
    let decline = form(
        "/order/cancelled",
        "/order/cancelled",
        &[("orderId", &declined), ("csrf", &csrf), ("reason", "Out of cocoa")],
        &cookies,
        json!({}),
    );
    assert_eq!(shop.cancel_order.handle(as_http(&decline)).await.status_code, 303);
    let orders = shop.orders.snapshot();
    let id = |text: &str| OrderId::parse(text).expect("id");
    assert_eq!(orders[&id(&ready)].status, Status::Fulfilled);
    let cancellation = orders[&id(&declined)].cancellation.clone().expect("cancelled");
    assert_eq!(
        (cancellation.by, cancellation.reason.as_deref()),
        (CancelledBy::Baker, Some("Out of cocoa"))
    );
    let (_, page) = board(&shop, &cookies, None).await;
    assert!(
        page.contains("Ready") && !page.contains(&format!("order-{declined}")),
        "{page}"
    );
}

#[tokio::test]
async fn a_board_form_from_another_site_or_without_its_token_or_session_writes_nothing() {
    let shop = shop();
    let (order_id, _) = shop.place_sample().await;
    let (cookies, csrf) = sign_in(&shop).await;
    let before = shop.written();
    let fields = [("orderId", order_id.as_str()), ("csrf", csrf.as_str())];
    let cases = [
        (
            form(
                "/order/fulfilled",
                "/order/fulfilled",
                &fields,
                &cookies,
                json!({ "sec-fetch-site": "cross-site" }),
            ),
            403,
        ),
        (
            form(
                "/order/fulfilled",
                "/order/fulfilled",
                &fields,
                &cookies,
                json!({ "origin": "https://evil.example", "host": "cakes.example.com" }),
            ),
            403,
        ),
        (
            form(
                "/order/fulfilled",
                "/order/fulfilled",
                &[("orderId", &order_id), ("csrf", "forged")],
                &cookies,
                json!({}),
            ),
            403,
        ),
        (
            form("/order/fulfilled", "/order/fulfilled", &fields, &[], json!({})),
            401,
        ),
    ];
    for (request, status) in cases {
        let response = shop.fulfill_order.handle(as_http(&request)).await;
        assert_eq!(response.status_code, status, "{}", body_text(&response));
        assert_eq!(header(&response, "content-type"), "text/html; charset=utf-8");
    }
    let cross = form(
        "/baker/shop",
        "/baker/shop",
        &[("open", "false"), ("csrf", &csrf)],
        &cookies,
        json!({ "sec-fetch-site": "same-site" }),
    );
    assert_eq!(shop.manage_shop.handle(as_http(&cross)).await.status_code, 403);
    let decline = form(
        "/order/cancelled",
        "/order/cancelled",
        &[("orderId", &order_id), ("reason", "x")],
        &[],
        json!({}),
    );
    assert_eq!(shop.cancel_order.handle(as_http(&decline)).await.status_code, 401);
    assert_eq!(shop.written(), before, "nothing written");
}

#[tokio::test]
async fn the_board_sets_open_or_closed_the_days_and_the_catalogue() {
    let shop = shop();
    let (cookies, csrf) = sign_in(&shop).await;
    let post = |path: &'static str, route: &'static str, fields: Vec<(&'static str, String)>| {
        let mut fields: Vec<(&str, String)> = fields;
        fields.push(("csrf", csrf.clone()));
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        form(path, route, &pairs, &cookies, json!({}))
    };
    let close = post(
        "/baker/shop",
        "/baker/shop",
        vec![("open", "false".into()), ("message", "Back on Monday".into())],
    );
    let response = shop.manage_shop.handle(as_http(&close)).await;
    assert_eq!(
        (response.status_code, header(&response, "location")),
        (303, "/baker#settings")
    );
    assert_eq!(
        shop.manage("GET", "/shop", "/shop", None, None).await.1["message"],
        "Back on Monday"
    );

    let days = post(
        "/baker/capacity",
        "/baker/capacity",
        vec![("monday", "4".into()), ("sunday", "0".into())],
    );
    assert_eq!(shop.manage_shop.handle(as_http(&days)).await.status_code, 303);
    let price = post(
        "/baker/products/2",
        "/baker/products/{productId}",
        vec![("price", "29.5".into())],
    );
    assert_eq!(shop.manage_shop.handle(as_http(&price)).await.status_code, 303);
    let (_, products) = shop.manage("GET", "/products", "/products", None, None).await;
    assert_eq!(products["products"][1]["priceCents"], 2950);
    assert_eq!(
        products["products"][1]["available"], false,
        "an unticked box takes it off sale"
    );

    let before = shop.written();
    let bad = post("/baker/capacity", "/baker/capacity", vec![("monday", "lots".into())]);
    let response = shop.manage_shop.handle(as_http(&bad)).await;
    assert_eq!(response.status_code, 422);
    assert!(body_text(&response).contains("monday"), "{}", body_text(&response));
    let bad_price = post(
        "/baker/products/2",
        "/baker/products/{productId}",
        vec![("price", "2,999.00".into())],
    );
    assert_eq!(shop.manage_shop.handle(as_http(&bad_price)).await.status_code, 422);
    assert_eq!(shop.written(), before);
    let (_, page) = board(&shop, &cookies, None).await;
    assert!(
        page.contains("Open the shop") && page.contains(r#"value="29.50""#),
        "{page}"
    );
}

#[tokio::test]
async fn the_customer_cancels_from_the_tracking_page_or_confirms_the_cake_arrived() {
    let shop = shop();
    let (cancelled, token) = shop.place_sample().await;
    let fields = [
        ("orderId", cancelled.as_str()),
        ("t", token.as_str()),
        ("reason", "Wrong day"),
    ];
    let request = form("/order/cancelled", "/order/cancelled", &fields, &[], json!({}));
    let response = shop.cancel_order.handle(as_http(&request)).await;
    assert_eq!(response.status_code, 303, "{}", body_text(&response));
    assert!(header(&response, "location").starts_with(&format!("/track/{cancelled}?t=")));
    let order = &shop.orders.snapshot()[&OrderId::parse(&cancelled).expect("id")];
    assert_eq!(order.cancellation.as_ref().map(|c| c.by), Some(CancelledBy::Customer));

    let wrong = [("orderId", cancelled.as_str()), ("t", "forged")];
    let response = shop
        .cancel_order
        .handle(as_http(&form(
            "/order/cancelled",
            "/order/cancelled",
            &wrong,
            &[],
            json!({}),
        )))
        .await;
    assert_eq!(response.status_code, 403);

    let (delivered, token) = shop.order_out_for_delivery().await;
    let before = shop.written();
    let bad = [("orderId", delivered.as_str()), ("t", token.as_str()), ("rating", "9")];
    let response = shop
        .confirm_delivery
        .handle(as_http(&form(
            "/order/delivered",
            "/order/delivered",
            &bad,
            &[],
            json!({}),
        )))
        .await;
    assert_eq!(response.status_code, 422);
    assert!(body_text(&response).contains("Back to your order"));
    assert_eq!(shop.written(), before, "a refused confirmation writes nothing");
    let good = [
        ("orderId", delivered.as_str()),
        ("t", token.as_str()),
        ("rating", "5"),
        ("feedback", "Lovely"),
    ];
    let response = shop
        .confirm_delivery
        .handle(as_http(&form(
            "/order/delivered",
            "/order/delivered",
            &good,
            &[],
            json!({}),
        )))
        .await;
    assert_eq!(response.status_code, 303, "{}", body_text(&response));
    assert_eq!(
        shop.feedback_queue.taken().len(),
        1,
        "the feedback goes on to customer service"
    );
    let order = &shop.orders.snapshot()[&OrderId::parse(&delivered).expect("id")];
    assert_eq!(order.status, Status::Delivered);
}
