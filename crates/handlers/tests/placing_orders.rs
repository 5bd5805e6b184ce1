//! `POST /order` against the shop's own rules: the catalogue it is priced from, the days that
//! can still be ordered (the cut-off in the shop's zone, the 60-day horizon), each day's
//! capacity, and whether the shop is open. Every refusal is in the error shape and writes
//! nothing.

use crate::support::{BAKER_KEY, SAMPLE_ORDER, Shop, day, error_code};
use serde_json::{Value, json};

/// Friday 20 November 2026, 09:00 in London: tomorrow is still open to orders.
const START: &str = "2026-11-20T09:00:00Z";
const THE_BRIEFS_BODY: &str =
    r#"{"name": "Yana Bahdanovich", "address": "Inasaridze 2 deadlock 35", "productId": 1, "quantity": 3}"#;

fn shop() -> Shop {
    let ids: Vec<&'static str> = (0..40)
        .map(|n| &*Box::leak(format!("p-{n}").into_boxed_str()))
        .collect();
    Shop::new(START, &ids)
}

fn order(quantity: u32, delivery_date: Option<&str>) -> String {
    let mut body =
        json!({ "name": "Ada Lovelace", "address": "12 Analytical Street", "productId": 1, "quantity": quantity });
    if let Some(date) = delivery_date {
        body["deliveryDate"] = json!(date);
    }
    body.to_string()
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

async fn capacity(shop: &Shop, change: Value) {
    let (status, body) = shop.as_baker("PUT", "/capacity", &change).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_briefs_body_is_placed_on_the_earliest_day() {
    let shop = shop();
    let (status, placed) = shop.place(THE_BRIEFS_BODY).await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["deliveryDate"], "2026-11-21", "tomorrow, before the cut-off");
    assert_eq!(placed["productId"], 1);
    assert_eq!(placed["productName"], "Chocolate fudge cake");
    assert_eq!(
        (&placed["unitPriceCents"], &placed["totalCents"]),
        (&json!(3450), &json!(10350))
    );
    assert_eq!(placed["customer"]["name"], "Yana Bahdanovich");
    assert!(placed["customerToken"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(shop.orders.booked_days(), [(day("2026-11-21"), 3)].into());
    let calls = shop.orders.calls();
    assert_eq!(
        (calls.rules, calls.creates, calls.booked),
        (1, 1, 0),
        "the fast path: one read of the rules, one create, no booked counts"
    );
}

#[tokio::test]
async fn from_the_cut_off_in_the_shops_zone_tomorrow_is_closed() {
    let shop = shop();
    shop.clock.set("2026-11-20T17:59:00Z");
    assert_eq!(shop.place(&order(1, None)).await.1["deliveryDate"], "2026-11-21");
    shop.clock.set("2026-11-20T18:00:00Z");
    assert_eq!(shop.place(&order(1, None)).await.1["deliveryDate"], "2026-11-22");
    let (status, body) = shop.place(&order(1, Some("2026-11-21"))).await;
    assert_eq!((status, error_code(&body)), (422, "invalid"), "{body}");
    assert!(message(&body).contains("closed at 18:00"), "{body}");

    // The baker moves the cut-off: it is the shop's own setting.
    capacity(&shop, json!({ "cutoff": "20:00" })).await;
    assert_eq!(shop.place(&order(1, Some("2026-11-21"))).await.0, 201);
}

#[tokio::test]
async fn a_closed_shop_refuses_with_503_and_reopening_accepts() {
    let shop = shop();
    let closing = json!({ "open": false, "message": "Closed for a family wedding" });
    let (status, answer) = shop.as_baker("PUT", "/shop", &closing).await;
    assert_eq!((status, &answer["acceptingOrders"]), (200, &json!(false)), "{answer}");
    let before = shop.written();

    let (status, body) = shop.place(SAMPLE_ORDER).await;
    assert_eq!((status, error_code(&body)), (503, "shop_closed"), "{body}");
    assert_eq!(message(&body), "Closed for a family wedding");
    assert_eq!(shop.written(), before, "a refusal writes nothing");

    let (status, answer) = shop.as_baker("PUT", "/shop", &json!({ "open": true })).await;
    assert_eq!((status, &answer["acceptingOrders"]), (200, &json!(true)), "{answer}");
    assert_eq!(shop.place(SAMPLE_ORDER).await.0, 201);
}

#[tokio::test]
async fn a_shop_closed_until_a_day_opens_by_itself_that_day() {
    let shop = shop();
    let closing = json!({ "open": false, "message": "Gone fishing", "until": "2026-11-23" });
    assert_eq!(shop.as_baker("PUT", "/shop", &closing).await.0, 200);
    let (status, body) = shop.place(SAMPLE_ORDER).await;
    assert_eq!((status, error_code(&body)), (503, "shop_closed"));
    assert_eq!(message(&body), "Gone fishing (taking orders again from 2026-11-23)");
    shop.clock.set("2026-11-23T07:00:00Z");
    let (status, placed) = shop.place(SAMPLE_ORDER).await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["deliveryDate"], "2026-11-24");
}

#[tokio::test]
async fn a_price_change_leaves_placed_orders_as_they_were() {
    let shop = shop();
    let (_, before) = shop.place(&order(2, None)).await;
    let change = json!({ "priceCents": 3900, "name": "Chocolate fudge cake (large)" });
    let (status, product) = shop
        .manage(
            "PUT",
            "/products/{productId}",
            "/products/1",
            Some(BAKER_KEY),
            Some(&change.to_string()),
        )
        .await;
    assert_eq!((status, &product["priceCents"]), (200, &json!(3900)), "{product}");

    let order_id = before["orderId"].as_str().expect("an id");
    let (_, stored) = shop.read(order_id, Some(BAKER_KEY)).await;
    assert_eq!(
        (&stored["unitPriceCents"], &stored["totalCents"], &stored["productName"]),
        (&json!(3450), &json!(6900), &json!("Chocolate fudge cake")),
        "the order keeps the name and price it was placed at: {stored}"
    );
    let (_, after) = shop.place(&order(2, None)).await;
    assert_eq!(
        (&after["unitPriceCents"], &after["totalCents"], &after["productName"]),
        (&json!(3900), &json!(7800), &json!("Chocolate fudge cake (large)"))
    );
}

#[tokio::test]
async fn a_full_day_asked_for_is_409_naming_the_next_day_with_room() {
    let shop = shop();
    capacity(&shop, json!({ "perDate": { "2026-12-04": 3, "2026-12-05": 2 } })).await;
    assert_eq!(shop.place(&order(3, Some("2026-12-04"))).await.0, 201);
    let before = shop.written();

    let (status, body) = shop.place(&order(3, Some("2026-12-04"))).await;
    assert_eq!((status, error_code(&body)), (409, "sold_out"), "{body}");
    assert_eq!(
        message(&body),
        "2026-12-04 is sold out; the next day with room for 3 is 2026-12-06",
        "the 5th takes only 2"
    );
    assert_eq!(shop.written(), before);

    let (status, body) = shop.place(&order(3, Some("2026-12-05"))).await;
    assert_eq!((status, error_code(&body)), (409, "sold_out"));
    assert_eq!(
        message(&body),
        "2026-12-05 has room for 2 more, not 3; the next day with room for 3 is 2026-12-06"
    );
    assert_eq!(shop.place(&order(2, Some("2026-12-05"))).await.0, 201, "2 still fit");
    assert_eq!(shop.written().booked.len(), 2);
}

#[tokio::test]
async fn without_a_date_the_order_takes_the_earliest_day_with_room() {
    let shop = shop();
    capacity(
        &shop,
        json!({ "perDate": { "2026-11-21": 2, "2026-11-22": 0, "2026-11-23": 3 } }),
    )
    .await;
    let calls = shop.orders.calls();

    let (_, first) = shop.place(&order(3, None)).await;
    assert_eq!(
        first["deliveryDate"], "2026-11-23",
        "the 21st takes 2, the 22nd is a day off"
    );
    let after_first = shop.orders.calls();
    assert_eq!(
        (after_first.creates - calls.creates, after_first.booked - calls.booked),
        (1, 0),
        "found from the settings alone: one attempt, no booked counts read"
    );

    let (_, second) = shop.place(&order(3, None)).await;
    assert_eq!(second["deliveryDate"], "2026-11-24", "the 23rd is full now");
    let after_second = shop.orders.calls();
    assert_eq!(
        (
            after_second.creates - after_first.creates,
            after_second.booked - after_first.booked
        ),
        (2, 1),
        "a full day costs one read of the booked counts and one more attempt"
    );
    assert_eq!(shop.place(&order(2, None)).await.1["deliveryDate"], "2026-11-21");
}

#[tokio::test]
async fn a_shop_with_no_room_anywhere_says_so() {
    let shop = shop();
    let two_a_day: serde_json::Map<String, Value> = cakeshop_domain::capacity::WEEKDAYS
        .iter()
        .map(|(_, name)| name)
        .map(|name| ((*name).to_owned(), json!(2)))
        .collect();
    capacity(&shop, json!({ "perWeekday": two_a_day })).await;
    let before = shop.written();
    let (status, body) = shop.place(&order(3, None)).await;
    assert_eq!((status, error_code(&body)), (409, "sold_out"), "{body}");
    assert!(
        message(&body).contains("no day from 2026-11-21 to 2027-01-19 has room for 3"),
        "{body}"
    );
    assert_eq!(shop.written(), before);
}

#[tokio::test]
async fn every_bad_order_is_a_4xx_in_the_error_shape_and_writes_nothing() {
    let shop = shop();
    let retire = json!({ "available": false });
    let (status, _) = shop
        .manage(
            "PUT",
            "/products/{productId}",
            "/products/6",
            Some(BAKER_KEY),
            Some(&retire.to_string()),
        )
        .await;
    assert_eq!(status, 200);
    capacity(&shop, json!({ "perDate": { "2026-12-10": 2 } })).await;
    assert_eq!(shop.place(&order(1, Some("2026-12-10"))).await.0, 201);
    let before = shop.written();

    let body = |product: u32, quantity: u32, date: Option<&str>| {
        let mut body: Value = serde_json::from_str(&order(quantity, date)).expect("json");
        body["productId"] = json!(product);
        body.to_string()
    };
    let cases: Vec<(&str, String, i64, &str, &str)> = vec![
        (
            "an unknown product",
            body(99, 1, None),
            422,
            "invalid",
            "unknown productId 99",
        ),
        ("a retired product", body(6, 1, None), 422, "invalid", "not on sale"),
        (
            "more than the day has left",
            body(1, 2, Some("2026-12-10")),
            409,
            "sold_out",
            "room for 1 more, not 2",
        ),
        (
            "a past date",
            body(1, 1, Some("2026-11-19")),
            422,
            "invalid",
            "not in the future",
        ),
        (
            "today",
            body(1, 1, Some("2026-11-20")),
            422,
            "invalid",
            "not in the future",
        ),
        (
            "beyond 60 days",
            body(1, 1, Some("2027-01-20")),
            422,
            "invalid",
            "more than 60 days ahead",
        ),
        (
            "a malformed date",
            body(1, 1, Some("2026-02-30")),
            422,
            "invalid",
            "YYYY-MM-DD",
        ),
        (
            "a date in another format",
            body(1, 1, Some("21/11/2026")),
            422,
            "invalid",
            "YYYY-MM-DD",
        ),
        (
            "a date that is no string",
            r#"{"name":"A","address":"B","productId":1,"quantity":1,"deliveryDate":20261121}"#.into(),
            422,
            "invalid",
            "deliveryDate",
        ),
        (
            "a product id as a name",
            r#"{"name":"A","address":"B","productId":"chocolate-fudge","quantity":1}"#.into(),
            422,
            "invalid",
            "productId",
        ),
    ];
    for (what, body, status, code, says) in cases {
        let (got, answer) = shop.place(&body).await;
        assert_eq!((got, error_code(&answer)), (status, code), "{what}: {answer}");
        assert!(message(&answer).contains(says), "{what}: {answer}");
        assert_eq!(shop.written(), before, "{what} wrote something");
    }
    assert_eq!(
        shop.place(&order(1, Some("2027-01-19"))).await.0,
        201,
        "the 60th day is open"
    );
}

#[tokio::test]
async fn a_repeat_with_its_key_finds_its_order_even_after_the_shop_closed() {
    let shop = shop();
    let (status, first) = shop.place_with_key(THE_BRIEFS_BODY, "k-1").await;
    assert_eq!(status, 201);
    assert_eq!(shop.as_baker("PUT", "/shop", &json!({ "open": false })).await.0, 200);
    shop.clock.set("2026-11-20T19:00:00Z");
    let (status, repeat) = shop.place_with_key(THE_BRIEFS_BODY, "k-1").await;
    assert_eq!(status, 201, "{repeat}");
    assert_eq!(
        (&repeat["orderId"], &repeat["deliveryDate"]),
        (&first["orderId"], &first["deliveryDate"])
    );
    assert_eq!(shop.orders.booked_days(), [(day("2026-11-21"), 3)].into(), "taken once");
    let (status, body) = shop.place_with_key(THE_BRIEFS_BODY, "k-2").await;
    assert_eq!(
        (status, error_code(&body)),
        (503, "shop_closed"),
        "a new key is a new order"
    );
}

#[tokio::test]
async fn the_last_cakes_of_a_day_go_to_exactly_as_many_orders_as_it_takes() {
    let shop = shop();
    capacity(&shop, json!({ "perDate": { "2026-12-24": 3 } })).await;
    let body = order(1, Some("2026-12-24"));
    let attempts = (0..12).map(|_| shop.place(&body));
    let answers = futures::future::join_all(attempts).await;
    let placed = answers.iter().filter(|(status, _)| *status == 201).count();
    let sold_out = answers
        .iter()
        .filter(|(status, body)| *status == 409 && error_code(body) == "sold_out")
        .count();
    assert_eq!((placed, sold_out), (3, 9));
    assert_eq!(shop.orders.booked_days(), [(day("2026-12-24"), 3)].into());
    assert_eq!(shop.orders.snapshot().len(), 3);
}

#[tokio::test]
async fn a_create_committed_but_answered_late_is_201_once_not_a_collision() {
    let shop = shop();
    shop.orders.lose_next_create_answer(1);
    let (status, placed) = shop.place(&order(2, None)).await;
    assert_eq!(status, 201, "{placed}");
    let stored = shop.orders.snapshot();
    assert_eq!(stored.len(), 1, "one order");
    let order_id = cakeshop_domain::OrderId::parse(placed["orderId"].as_str().expect("orderId")).expect("id");
    assert!(stored.contains_key(&order_id), "the order answered is the one stored");
    assert_eq!(
        shop.orders.booked_days(),
        [(day("2026-11-21"), 2)].into(),
        "its cakes taken once"
    );
}
