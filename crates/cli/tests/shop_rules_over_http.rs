//! The bakery's own rules over real HTTP against a real `cakeshop dev`: the brief's order as
//! customers send it, a day's last cake going to exactly one of many customers, a closed shop,
//! price changes, cancellations racing fulfilment, and every bad input refused with nothing
//! written.

use crate::support::{DevProcess, eventually, project_file};
use cakeshop_test_support::MotoServer;
use futures::future::join_all;
use serde_json::{Value, json};
use std::time::Duration;

/// The order exactly as the project's brief shows it, bytes and all.
const BRIEF_ORDER: &str =
    r#"{"name": "Yana Bahdanovich", "address": "Inasaridze 2 deadlock 35", "productId": 1, "quantity": 3}"#;

fn fresh_shop() -> (tempfile::TempDir, DevProcess) {
    let data = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start(data.path(), &project_file("serverless.yml"));
    (data, shop)
}

async fn post_raw(shop: &DevProcess, path: &str, body: &str) -> (u16, Value) {
    let response = shop
        .http
        .post(format!("{}{path}", shop.base))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("answer");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// The days open to orders now, earliest first, as `GET /availability` lists them.
async fn open_days(shop: &DevProcess) -> Vec<Value> {
    let (status, body) = shop.get("/availability?days=30", None).await;
    assert_eq!(status, 200, "{body}");
    body["days"].as_array().cloned().expect("days")
}

async fn day_of(shop: &DevProcess, date: &str) -> Value {
    let (status, body) = shop.get(&format!("/availability?from={date}&days=1"), None).await;
    assert_eq!(status, 200, "{body}");
    body["days"][0].clone()
}

fn order_for(name: &str, date: &str, quantity: u32) -> Value {
    json!({ "name": name, "address": "1 Test Lane", "productId": 2, "quantity": quantity, "deliveryDate": date })
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

async fn assert_briefs_order_is_placed(shop: &DevProcess) {
    let (status, placed) = post_raw(shop, "/order", BRIEF_ORDER).await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["status"], "placed");
    assert_eq!(placed["productId"], 1);
    assert_eq!(placed["quantity"], 3);
    assert_eq!(
        placed["totalCents"],
        3 * placed["unitPriceCents"].as_u64().expect("a price")
    );
    assert!(
        placed["deliveryDate"].as_str().is_some_and(|d| d.len() == 10),
        "{placed}"
    );
    assert!(placed["customerToken"].is_string());
}

#[tokio::test]
async fn the_briefs_order_is_accepted_as_written() {
    let (_data, shop) = fresh_shop();
    let (status, products) = shop.get("/products", None).await;
    assert_eq!(status, 200, "{products}");
    let ids: Vec<u64> = products["products"]
        .as_array()
        .or(products.as_array())
        .expect("a list of products")
        .iter()
        .filter_map(|p| p["productId"].as_u64())
        .collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5, 6], "a new shop's sample catalogue");
    assert_briefs_order_is_placed(&shop).await;
}

#[tokio::test]
async fn the_briefs_order_is_accepted_on_the_aws_backend() {
    let moto = MotoServer::start();
    let data = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start_on_aws(data.path(), &project_file("serverless.yml"), &moto);
    assert_briefs_order_is_placed(&shop).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_days_last_cake_goes_to_exactly_one_customer() {
    let (_data, shop) = fresh_shop();
    let date = open_days(&shop).await[1]["date"].as_str().expect("a date").to_owned();
    let (status, settings) = shop
        .put_as("/capacity", Some(&shop.baker_key), &json!({ "perDate": { &date: 3 } }))
        .await;
    assert_eq!(status, 200, "{settings}");

    let attempts = (0..24).map(|n| {
        let body = order_for(&format!("Customer {n}"), &date, 1);
        let shop = &shop;
        async move { shop.post("/order", None, &body).await }
    });
    let answers = join_all(attempts).await;
    let placed = answers.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(placed, 3, "exactly the day's three cakes are sold: {answers:?}");
    for (status, body) in answers.iter().filter(|(status, _)| *status != 201) {
        assert_eq!((*status, code(body)), (409, "sold_out"), "{body}");
        assert!(
            body["error"]["message"].as_str().is_some_and(|m| m.contains(&date)),
            "{body}"
        );
    }
    let day = day_of(&shop, &date).await;
    assert_eq!(
        (&day["capacity"], &day["booked"], &day["left"]),
        (&json!(3), &json!(3), &json!(0))
    );
}

#[tokio::test]
async fn a_closed_shop_refuses_orders_until_it_reopens() {
    let (_data, shop) = fresh_shop();
    let closing = json!({ "open": false, "message": "Closed for our own wedding" });
    let (status, closed) = shop.put_as("/shop", Some(&shop.baker_key), &closing).await;
    assert_eq!(status, 200, "{closed}");
    let (status, shop_now) = shop.get("/shop", None).await;
    assert_eq!(
        (status, &shop_now["acceptingOrders"]),
        (200, &json!(false)),
        "{shop_now}"
    );

    let (status, refused) = post_raw(&shop, "/order", BRIEF_ORDER).await;
    assert_eq!((status, code(&refused)), (503, "shop_closed"), "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("wedding"))
    );
    let (_, placed) = shop.get("/orders?status=placed", Some(&shop.baker_key)).await;
    assert_eq!(placed["orders"], json!([]), "a refused order writes nothing");

    let (status, _) = shop
        .put_as("/shop", Some(&shop.baker_key), &json!({ "open": true }))
        .await;
    assert_eq!(status, 200);
    assert_briefs_order_is_placed(&shop).await;
}

#[tokio::test]
async fn a_price_change_leaves_placed_orders_as_they_were() {
    let (_data, shop) = fresh_shop();
    let date = open_days(&shop).await[0]["date"].as_str().expect("a date").to_owned();
    let (status, before) = shop.post("/order", None, &order_for("Early bird", &date, 2)).await;
    assert_eq!(status, 201, "{before}");
    let change = json!({ "priceCents": 3175, "name": "Lemon drizzle loaf" });
    let (status, product) = shop.put_as("/products/2", Some(&shop.baker_key), &change).await;
    assert_eq!((status, &product["priceCents"]), (200, &json!(3175)), "{product}");

    let path = format!("/order/{}", before["orderId"].as_str().expect("id"));
    let (_, kept) = shop.get(&path, Some(&shop.baker_key)).await;
    for field in ["productName", "unitPriceCents", "totalCents"] {
        assert_eq!(kept[field], before[field], "{field} is as it was placed");
    }
    let (status, after) = shop.post("/order", None, &order_for("Late bird", &date, 2)).await;
    assert_eq!(status, 201, "{after}");
    assert_eq!(
        (&after["unitPriceCents"], &after["totalCents"]),
        (&json!(3175), &json!(6350))
    );
    assert_eq!(after["productName"], "Lemon drizzle loaf");
}

#[tokio::test]
async fn a_cancel_gives_the_cake_back_and_tells_the_baker() {
    let (_data, shop) = fresh_shop();
    let date = open_days(&shop).await[2]["date"].as_str().expect("a date").to_owned();
    shop.put_as("/capacity", Some(&shop.baker_key), &json!({ "perDate": { &date: 1 } }))
        .await;
    let (status, placed) = shop.post("/order", None, &order_for("Changes Mind", &date, 1)).await;
    assert_eq!(status, 201, "{placed}");
    let (order_id, token) = (
        placed["orderId"].as_str().expect("id"),
        placed["customerToken"].as_str().expect("token"),
    );
    let (status, full) = shop.post("/order", None, &order_for("Too Late", &date, 1)).await;
    assert_eq!((status, code(&full)), (409, "sold_out"), "{full}");

    let reference = json!({ "orderId": order_id, "reason": "The party moved" });
    let (status, cancelled) = shop.post("/order/cancelled", Some(token), &reference).await;
    assert_eq!(
        (status, &cancelled["status"]),
        (200, &json!("cancelled")),
        "{cancelled}"
    );
    assert_eq!(day_of(&shop, &date).await["left"], 1, "the cake is back");
    let told = eventually(
        "the baker is told of the cancellation",
        Duration::from_secs(20),
        || async {
            let mail = shop.mail().await;
            let about: Vec<Value> = mail.into_iter().filter(|m| m["orderId"] == order_id).collect();
            (about.len() >= 2).then_some(about)
        },
    )
    .await;
    assert_eq!(
        told.len(),
        2,
        "the order's email and one about its cancellation: {told:?}"
    );

    let (status, again) = shop.post("/order", None, &order_for("Second Chance", &date, 1)).await;
    assert_eq!(status, 201, "the freed cake sells again: {again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_and_fulfil_racing_end_one_way_and_no_cancelled_cake_is_delivered() {
    let (_data, shop) = fresh_shop();
    shop.make_room().await;
    let mut orders = Vec::new();
    for n in 0..16 {
        let (status, placed) = shop.place(&format!("Racer {n}")).await;
        assert_eq!(status, 201, "{placed}");
        orders.push(placed);
    }
    let races = orders.iter().map(|placed| {
        let shop = &shop;
        async move {
            let id = placed["orderId"].as_str().expect("id");
            let token = placed["customerToken"].as_str().expect("token");
            let reference = json!({ "orderId": id });
            let (cancel, fulfil) = futures::join!(
                shop.post("/order/cancelled", Some(token), &reference),
                shop.post("/order/fulfilled", Some(&shop.baker_key), &reference),
            );
            (id.to_owned(), cancel.0, fulfil.0)
        }
    });
    let outcomes = join_all(races).await;
    let mut fulfilled = Vec::new();
    for (id, cancel, fulfil) in &outcomes {
        match (cancel, fulfil) {
            (200, 409) => {}
            (409, 200) => fulfilled.push(id.clone()),
            other => panic!("{id}: exactly one of cancel and fulfil wins, got {other:?}"),
        }
        let (_, order) = shop.get(&format!("/order/{id}"), Some(&shop.baker_key)).await;
        let expected = if fulfilled.contains(id) {
            ["fulfilled", "out_for_delivery", "delivered"].as_slice()
        } else {
            &["cancelled"]
        };
        assert!(expected.iter().any(|s| order["status"] == *s), "{id}: {order}");
    }
    // Every fulfilled cake is handed to the courier; by then no cancelled one has been.
    eventually(
        "every fulfilled order handed to the courier",
        Duration::from_secs(20),
        || async {
            let calls = shop.partner_calls("delivery").await;
            fulfilled
                .iter()
                .all(|id| calls.iter().any(|c| c["body"]["orderId"] == id.as_str()))
                .then_some(())
        },
    )
    .await;
    let calls = shop.partner_calls("delivery").await;
    for (id, _, _) in outcomes.iter().filter(|(id, _, _)| !fulfilled.contains(id)) {
        assert!(
            !calls.iter().any(|c| c["body"]["orderId"] == id.as_str()),
            "no delivery was asked for cancelled {id}"
        );
    }
}

/// What the refusals below could have changed: the catalogue, the days' counts, the orders.
async fn snapshot(shop: &DevProcess) -> (Value, Value, Value) {
    let (_, products) = shop.get("/products", None).await;
    let (_, availability) = shop.get("/availability?days=30", None).await;
    let (_, placed) = shop.get("/orders?status=placed", Some(&shop.baker_key)).await;
    (products, availability, placed)
}

#[tokio::test]
async fn every_bad_input_is_refused_and_writes_nothing() {
    let (_data, shop) = fresh_shop();
    let baker = Some(shop.baker_key.as_str());
    let days = open_days(&shop).await;
    let date = days[1]["date"].as_str().expect("a date").to_owned();
    shop.put_as("/capacity", baker, &json!({ "perDate": { &date: 2 } }))
        .await;
    shop.put_as("/products/6", baker, &json!({ "available": false })).await;
    let (_, kept) = shop.post("/order", None, &order_for("Keeper", &date, 1)).await;
    let kept_id = kept["orderId"].as_str().expect("id").to_owned();
    let (_, other) = shop
        .post(
            "/order",
            None,
            &order_for("Other", days[3]["date"].as_str().expect("date"), 1),
        )
        .await;
    let other_token = other["customerToken"].as_str().expect("token").to_owned();
    let (_, fulfilled) = shop
        .post(
            "/order",
            None,
            &order_for("Baked", days[4]["date"].as_str().expect("date"), 1),
        )
        .await;
    let fulfilled_id = fulfilled["orderId"].as_str().expect("id").to_owned();
    let fulfilled_token = fulfilled["customerToken"].as_str().expect("token").to_owned();
    let (status, _) = shop
        .post("/order/fulfilled", baker, &json!({ "orderId": fulfilled_id }))
        .await;
    assert_eq!(status, 200);

    let before = snapshot(&shop).await;

    let order = |product: Value, quantity: u32, date: Value| json!({ "name": "Bad", "address": "1 Lane", "productId": product, "quantity": quantity, "deliveryDate": date });
    let orders = [
        ("an unknown product", order(json!(99), 1, json!(date)), 422, "invalid"),
        ("a retired product", order(json!(6), 1, json!(date)), 422, "invalid"),
        (
            "more than the day has left",
            order(json!(2), 2, json!(date)),
            409,
            "sold_out",
        ),
        ("a past date", order(json!(2), 1, json!("2020-01-01")), 422, "invalid"),
        (
            "a date beyond the horizon",
            order(json!(2), 1, json!("2099-01-01")),
            422,
            "invalid",
        ),
        (
            "a malformed date",
            order(json!(2), 1, json!("24/12/2026")),
            422,
            "invalid",
        ),
    ];
    for (what, body, status, expected) in orders {
        let (got, answer) = shop.post("/order", None, &body).await;
        assert_eq!((got, code(&answer)), (status, expected), "{what}: {answer}");
    }
    let cancels = [
        (
            "someone else's order",
            other_token.as_str(),
            kept_id.as_str(),
            403,
            "forbidden",
        ),
        (
            "a fulfilled order",
            fulfilled_token.as_str(),
            fulfilled_id.as_str(),
            409,
            "illegal_transition",
        ),
    ];
    for (what, token, id, status, expected) in cancels {
        let (got, answer) = shop
            .post("/order/cancelled", Some(token), &json!({ "orderId": id }))
            .await;
        assert_eq!((got, code(&answer)), (status, expected), "cancelling {what}: {answer}");
    }
    let changes = [
        (
            "a price without a key",
            "/products/1",
            None,
            json!({ "priceCents": 1 }),
            401,
        ),
        (
            "a price with a customer's token",
            "/products/1",
            Some(other_token.as_str()),
            json!({ "priceCents": 1 }),
            403,
        ),
        (
            "capacity without a key",
            "/capacity",
            None,
            json!({ "perDate": { &date: 50 } }),
            401,
        ),
        (
            "capacity with a customer's token",
            "/capacity",
            Some(other_token.as_str()),
            json!({ "perDate": { &date: 50 } }),
            403,
        ),
        (
            "a negative price",
            "/products/1",
            baker,
            json!({ "priceCents": -100 }),
            422,
        ),
        (
            "an absurd price",
            "/products/1",
            baker,
            json!({ "priceCents": 99_999_999_999u64 }),
            422,
        ),
        (
            "a fractional price",
            "/products/1",
            baker,
            json!({ "priceCents": 12.5 }),
            422,
        ),
        (
            "an unknown product",
            "/products/77",
            baker,
            json!({ "priceCents": 100 }),
            404,
        ),
        (
            "a negative capacity",
            "/capacity",
            baker,
            json!({ "perDate": { &date: -1 } }),
            422,
        ),
        (
            "an unknown weekday",
            "/capacity",
            baker,
            json!({ "perWeekday": { "caturday": 5 } }),
            422,
        ),
    ];
    for (what, path, token, body, status) in changes {
        let (got, answer) = shop.put_as(path, token, &body).await;
        assert_eq!(got, status, "{what}: {answer}");
        assert!(answer["error"]["message"].is_string(), "{what}: {answer}");
    }
    let (got, answer) = shop
        .post("/products", None, &json!({ "name": "Free cake", "priceCents": 0 }))
        .await;
    assert_eq!(got, 401, "a new product without a key: {answer}");

    assert_eq!(snapshot(&shop).await, before, "nothing refused was written");
}
