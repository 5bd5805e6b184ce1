//! The storefront and the tracking page, as the handlers serve them: the page a customer orders
//! on, the form post that places the order (or shows its problems, writing nothing), and the
//! tracking link that opens only with its order's token.

use crate::support::envelopes::{as_http, http_request};
use crate::support::{Shop, body_text, header};
use cakeshop_handlers::pages::POLICY;
use serde_json::json;

const START: &str = "2026-11-20T09:00:00Z";

fn shop() -> Shop {
    Shop::new(START, &["key-1", "key-2", "key-3", "o-1", "o-2"])
}

async fn storefront(shop: &Shop) -> (i64, String) {
    let request = http_request("GET", "/", "/", json!({}), None);
    let response = shop.manage_shop.handle(as_http(&request)).await;
    assert_eq!(header(&response, "content-security-policy"), POLICY);
    (response.status_code, body_text(&response))
}

/// Posts the storefront's form with these fields, as a browser encodes them.
async fn post_form(shop: &Shop, fields: &[(&str, &str)]) -> aws_lambda_events::apigw::ApiGatewayV2httpResponse {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let headers = json!({ "content-type": "application/x-www-form-urlencoded" });
    let request = http_request("POST", "/order", "/order", headers, Some(&body));
    shop.place_order.handle(as_http(&request)).await
}

async fn open(shop: &Shop, location: &str) -> (i64, String) {
    let (path, query) = location.split_once('?').unwrap_or((location, ""));
    let order_id = path.trim_start_matches("/track/");
    let mut request = http_request("GET", "/track/{orderId}", path, json!({}), None);
    request["pathParameters"] = json!({ "orderId": order_id });
    let parameters: serde_json::Map<String, serde_json::Value> = form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| (name.into_owned(), json!(value)))
        .collect();
    request["queryStringParameters"] = serde_json::Value::Object(parameters);
    let response = shop.order_queries.handle(as_http(&request)).await;
    assert_eq!(header(&response, "content-security-policy"), POLICY);
    (response.status_code, body_text(&response))
}

const FILLED_IN: [(&str, &str); 6] = [
    ("formKey", "page-1"),
    ("productId", "2"),
    ("quantity", "2"),
    ("deliveryDate", ""),
    ("name", "Yana Bahdanovich"),
    ("address", "Inasaridze 2 deadlock 35"),
];

#[tokio::test]
async fn the_storefront_shows_the_cakes_on_sale_the_days_with_room_and_a_keyed_form() {
    let shop = shop();
    let (status, page) = storefront(&shop).await;
    assert_eq!(status, 200);
    for cake in [
        "Chocolate fudge cake",
        "Lemon drizzle cake",
        "Black forest gateau",
        "€28.00",
    ] {
        assert!(page.contains(cake), "{cake} missing from {page}");
    }
    assert!(page.contains(r#"<form method="post" action="/order""#), "{page}");
    assert!(page.contains(r#"name="formKey" value="key-1""#), "{page}");
    // Before the 18:00 cut-off on Friday 20 November, Saturday is the first day on offer.
    assert!(
        page.contains(r#"<option value="2026-11-21">Saturday 21 November (20 left)"#),
        "{page}"
    );
    assert!(!page.contains("<script"), "no script at all: {page}");
    assert!(page.len() < 50_000, "{} bytes", page.len());
}

#[tokio::test]
async fn a_posted_form_places_the_order_and_sends_the_customer_to_its_tracking_page() {
    let shop = shop();
    let placed = post_form(&shop, &FILLED_IN).await;
    assert_eq!(placed.status_code, 303, "{}", body_text(&placed));
    let location = header(&placed, "location").to_owned();
    assert!(location.starts_with("/track/"), "{location}");

    let written = shop.written();
    assert_eq!(written.orders.len(), 1);
    let order = written.orders.values().next().expect("the order");
    assert_eq!((order.product_id.0, order.quantity), (2, 2));
    assert_eq!(written.events, 1, "order_placed is on the stream");

    let (status, page) = open(&shop, &location).await;
    assert_eq!(status, 200, "{page}");
    for text in [
        "Your order is in",
        "2 × Lemon drizzle cake",
        "€56.00",
        "Saturday 21 November 2026",
        "Ordered",
    ] {
        assert!(page.contains(text), "{text} missing from {page}");
    }
}

#[tokio::test]
async fn the_same_form_posted_twice_places_one_order() {
    let shop = shop();
    let first = post_form(&shop, &FILLED_IN).await;
    let again = post_form(&shop, &FILLED_IN).await;
    assert_eq!((first.status_code, again.status_code), (303, 303));
    assert_eq!(header(&first, "location"), header(&again, "location"));
    assert_eq!(shop.written().orders.len(), 1);
}

#[tokio::test]
async fn a_form_with_problems_comes_back_as_typed_with_each_problem_beside_its_field_and_nothing_written() {
    let shop = shop();
    let before = shop.written();
    let response = post_form(
        &shop,
        &[
            ("formKey", "page-1"),
            ("productId", "2"),
            ("quantity", "lots"),
            ("name", ""),
            ("address", "12 <b>Analytical</b> St"),
            ("email", "not an email"),
        ],
    )
    .await;
    assert_eq!(response.status_code, 422);
    let page = body_text(&response);
    for field in ["quantity", "name", "email"] {
        assert!(
            page.contains(&format!(r#"id="{field}-error""#)),
            "no problem beside {field}: {page}"
        );
        assert!(
            page.contains(&format!("{field}-error\" aria-invalid=\"true\"")),
            "{field} not marked invalid: {page}"
        );
    }
    assert!(!page.contains(r#"id="address-error""#), "{page}");
    assert!(
        page.contains("12 &lt;b&gt;Analytical&lt;/b&gt; St</textarea>"),
        "the address as typed: {page}"
    );
    assert!(
        page.contains(r#"value="2" checked"#),
        "the cake chosen stays chosen: {page}"
    );
    assert_eq!(shop.written(), before, "a refused form writes nothing");
}

#[tokio::test]
async fn a_closed_shop_says_so_on_the_storefront_and_refuses_the_form_with_its_message() {
    let shop = shop();
    let (status, _) = shop
        .as_baker(
            "PUT",
            "/shop",
            &json!({ "open": false, "message": "Closed for the holidays" }),
        )
        .await;
    assert_eq!(status, 200);
    let (_, page) = storefront(&shop).await;
    assert!(page.contains("Closed for the holidays"), "{page}");

    let before = shop.written();
    let refused = post_form(&shop, &FILLED_IN).await;
    assert_eq!(refused.status_code, 503);
    assert!(body_text(&refused).contains("Closed for the holidays"));
    assert_eq!(shop.written(), before);
}

#[tokio::test]
async fn the_tracking_page_opens_only_with_its_own_orders_token_and_shows_what_was_typed_as_text() {
    let shop = shop();
    let mut fields = FILLED_IN.to_vec();
    fields[4] = ("name", "<script>alert(1)</script>");
    let placed = post_form(&shop, &fields).await;
    let location = header(&placed, "location").to_owned();

    let (status, page) = open(&shop, &location).await;
    assert_eq!(status, 200);
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{page}");
    assert!(!page.contains("<script>"), "{page}");

    let (path, _) = location.split_once('?').expect("a token");
    for wrong in [format!("{path}?t=forged"), path.to_owned()] {
        let (status, page) = open(&shop, &wrong).await;
        assert_eq!(status, 403, "{wrong}: {page}");
        assert!(!page.contains("Lemon drizzle"), "nothing of the order shows: {page}");
    }
    let (status, _) = open(&shop, "/track/not%20an%20id?t=x").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_pages_assets_are_served_by_name_and_nothing_else_is() {
    let shop = shop();
    let get = |path: &'static str| {
        let mut request = http_request("GET", "/assets/{name}", path, json!({}), None);
        request["pathParameters"] = json!({ "name": path.trim_start_matches("/assets/") });
        shop.manage_shop.handle(as_http(&request))
    };
    let stylesheet = get("/assets/shop.css").await;
    assert_eq!(stylesheet.status_code, 200);
    assert!(header(&stylesheet, "content-type").starts_with("text/css"));
    let icon = get("/assets/cake.svg").await;
    assert_eq!(
        (icon.status_code, header(&icon, "content-type")),
        (200, "image/svg+xml")
    );
    assert_eq!(get("/assets/../secrets.json").await.status_code, 404);
}

#[tokio::test]
async fn a_storefront_that_cannot_read_the_shop_says_so_as_a_page() {
    let shop = shop();
    shop.orders.fail_next(1);
    let request = http_request("GET", "/", "/", json!({}), None);
    let response = shop.manage_shop.handle(as_http(&request)).await;
    assert_eq!(response.status_code, 503);
    assert_eq!(header(&response, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&response, "content-security-policy"), POLICY);
    assert!(body_text(&response).contains("Please reload this page"));
}
