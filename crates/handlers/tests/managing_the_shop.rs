//! manage-shop: the catalogue, each day's capacity and whether the shop is open. Anyone may
//! read them; only the baker's key changes them (401 without a bearer token, 403 with another),
//! and a refused change writes nothing. A save that finds the setting changed meanwhile is
//! applied again to what is stored now.

use crate::support::{BAKER_KEY, SAMPLE_ORDER, Shop, day, error_code};
use serde_json::{Value, json};

const START: &str = "2026-11-20T09:00:00Z";

fn shop() -> Shop {
    Shop::new(START, &["m1", "m2", "m3", "m4", "m5"])
}

async fn product_change(shop: &Shop, product: &str, bearer: Option<&str>, change: &Value) -> (i64, Value) {
    let path = format!("/products/{product}");
    shop.manage("PUT", "/products/{productId}", &path, bearer, Some(&change.to_string()))
        .await
}

#[tokio::test]
async fn only_the_bakers_key_changes_the_shop_and_a_refusal_writes_nothing() {
    let shop = shop();
    let (_, customer_token) = shop.place_sample().await;
    let before = shop.written();
    let changes: [(&str, &str, &str, Value); 5] = [
        (
            "POST",
            "/products",
            "/products",
            json!({ "name": "Opera cake", "priceCents": 4500 }),
        ),
        (
            "PUT",
            "/products/{productId}",
            "/products/1",
            json!({ "priceCents": 1 }),
        ),
        (
            "PUT",
            "/capacity",
            "/capacity",
            json!({ "perDate": { "2026-11-21": 0 } }),
        ),
        ("PUT", "/shop", "/shop", json!({ "open": false })),
        // A body that is wrong as well: the key is checked first, so nothing is said about it.
        (
            "PUT",
            "/capacity",
            "/capacity",
            json!({ "perWeekday": { "funday": -1 } }),
        ),
    ];
    for (method, route, path, body) in &changes {
        for (bearer, status, code) in [
            (None, 401, "unauthorized"),
            (Some("wrong-key"), 403, "forbidden"),
            (Some(customer_token.as_str()), 403, "forbidden"),
            (Some(""), 401, "unauthorized"),
        ] {
            let (got, answer) = shop.manage(method, route, path, bearer, Some(&body.to_string())).await;
            assert_eq!(
                (got, error_code(&answer)),
                (status, code),
                "{method} {path} with {bearer:?}: {answer}"
            );
            assert!(!answer.to_string().contains("funday"), "{answer}");
        }
    }
    assert_eq!(shop.written(), before, "nothing written");
    assert_eq!(shop.orders.calls().saves, 0, "not even attempted");
}

#[tokio::test]
async fn the_baker_adds_and_changes_products_and_customers_order_them() {
    let shop = shop();
    let (status, opera) = shop
        .as_baker(
            "POST",
            "/products",
            &json!({ "name": "Opera cake", "description": "Coffee & almond", "priceCents": 4500 }),
        )
        .await;
    assert_eq!(status, 201, "{opera}");
    assert_eq!(
        opera,
        json!({ "productId": 7, "name": "Opera cake", "description": "Coffee & almond", "priceCents": 4500, "available": true })
    );
    let (status, listed) = shop.manage("GET", "/products", "/products", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(listed["products"].as_array().map(Vec::len), Some(7));

    let body = json!({ "name": "Ada", "address": "1 Loop Road", "productId": 7, "quantity": 2 }).to_string();
    let (status, placed) = shop.place(&body).await;
    assert_eq!((status, &placed["totalCents"]), (201, &json!(9000)), "{placed}");

    let (status, retired) = product_change(&shop, "7", Some(BAKER_KEY), &json!({ "available": false })).await;
    assert_eq!((status, &retired["available"]), (200, &json!(false)));
    let (status, refused) = shop.place(&body).await;
    assert_eq!((status, error_code(&refused)), (422, "invalid"));
    let (_, listed) = shop.manage("GET", "/products", "/products", None, None).await;
    assert!(
        listed["products"]
            .as_array()
            .is_some_and(|all| all.iter().any(|p| p["productId"] == 7 && p["available"] == false)),
        "a retired product is still listed, as not available: {listed}"
    );
}

#[tokio::test]
async fn bad_product_changes_are_refused_and_write_nothing() {
    let shop = shop();
    let before = shop.written();
    let cases: Vec<(&str, &str, Value, i64, &str)> = vec![
        (
            "POST",
            "",
            json!({ "name": "Opera cake", "priceCents": -100 }),
            422,
            "invalid",
        ),
        (
            "POST",
            "",
            json!({ "name": "Opera cake", "priceCents": 0 }),
            422,
            "invalid",
        ),
        (
            "POST",
            "",
            json!({ "name": "Opera cake", "priceCents": 1_000_001 }),
            422,
            "invalid",
        ),
        (
            "POST",
            "",
            json!({ "name": "Opera cake", "priceCents": 45.5 }),
            422,
            "invalid",
        ),
        (
            "POST",
            "",
            json!({ "name": "Opera cake", "priceCents": "45" }),
            422,
            "invalid",
        ),
        (
            "POST",
            "",
            json!({ "name": "victoria SPONGE", "priceCents": 2000 }),
            409,
            "duplicate_name",
        ),
        ("PUT", "1", json!({ "priceCents": -1 }), 422, "invalid"),
        ("PUT", "1", json!({ "priceCents": 99_999_999_999_u64 }), 422, "invalid"),
        ("PUT", "1", json!({}), 422, "invalid"),
        ("PUT", "2", json!({ "name": "Red velvet cake" }), 409, "duplicate_name"),
        ("PUT", "99", json!({ "priceCents": 100 }), 404, "not_found"),
        ("PUT", "0", json!({ "priceCents": 100 }), 404, "not_found"),
        ("PUT", "chocolate-fudge", json!({ "priceCents": 100 }), 404, "not_found"),
    ];
    for (method, product, body, status, code) in cases {
        let (got, answer) = if method == "POST" {
            shop.as_baker("POST", "/products", &body).await
        } else {
            product_change(&shop, product, Some(BAKER_KEY), &body).await
        };
        assert_eq!(
            (got, error_code(&answer)),
            (status, code),
            "{method} {product} {body}: {answer}"
        );
        assert_eq!(shop.written(), before, "{method} {product} {body} wrote something");
    }
    let (_, listed) = shop.manage("GET", "/products", "/products", None, None).await;
    assert_eq!(listed["products"][0]["priceCents"], 3450);
}

#[tokio::test]
async fn availability_shows_each_days_capacity_booked_and_left() {
    let shop = shop();
    let (status, answer) = shop
        .as_baker(
            "PUT",
            "/capacity",
            &json!({ "perDate": { "2026-11-22": 0, "2026-11-23": 5 } }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let body =
        json!({ "name": "Ada", "address": "1 Loop Road", "productId": 1, "quantity": 4, "deliveryDate": "2026-11-23" });
    assert_eq!(shop.place(&body.to_string()).await.0, 201);

    let (status, default) = shop.availability("").await;
    assert_eq!(status, 200, "{default}");
    let days = default["days"].as_array().expect("days");
    assert_eq!(days.len(), 14);
    assert_eq!(
        days[..3],
        [
            json!({ "date": "2026-11-21", "capacity": 20, "booked": 0, "left": 20 }),
            json!({ "date": "2026-11-22", "capacity": 0, "booked": 0, "left": 0 }),
            json!({ "date": "2026-11-23", "capacity": 5, "booked": 4, "left": 1 }),
        ],
        "from the earliest day that can be ordered"
    );
    let (status, some) = shop.availability("from=2026-11-23&days=2").await;
    assert_eq!(status, 200);
    assert_eq!(some["days"].as_array().map(Vec::len), Some(2));
    assert_eq!(some["days"][0]["left"], 1);

    for bad in [
        "days=0",
        "days=61",
        "days=ten",
        "from=2026-02-30",
        "from=tomorrow",
        "days=-1",
    ] {
        let (status, answer) = shop.availability(bad).await;
        assert_eq!((status, error_code(&answer)), (422, "invalid"), "{bad}: {answer}");
    }
    assert_eq!(shop.availability("days=60").await.0, 200);
}

#[tokio::test]
async fn lowering_capacity_below_what_is_booked_keeps_the_orders_and_says_so() {
    let shop = shop();
    let body =
        json!({ "name": "Ada", "address": "1 Loop Road", "productId": 1, "quantity": 5, "deliveryDate": "2026-12-04" });
    assert_eq!(shop.place(&body.to_string()).await.0, 201);

    let (status, answer) = shop
        .as_baker(
            "PUT",
            "/capacity",
            &json!({ "perDate": { "2026-12-04": 2 }, "perWeekday": { "sunday": 0 }, "cutoff": "17:30" }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["perDate"], json!({ "2026-12-04": 2 }));
    assert_eq!(answer["perWeekday"]["sunday"], 0);
    assert_eq!(answer["perWeekday"]["monday"], 20, "weekdays not given are kept");
    assert_eq!(answer["cutoff"], "17:30");
    assert_eq!(
        answer["overbooked"],
        json!([{ "date": "2026-12-04", "capacity": 2, "booked": 5 }])
    );
    assert_eq!(shop.orders.snapshot().len(), 1, "the order is kept");
    assert_eq!(shop.orders.booked_days(), [(day("2026-12-04"), 5)].into());
    let (_, days) = shop.availability("from=2026-12-04&days=1").await;
    assert_eq!(days["days"][0]["left"], 0);

    let (status, answer) = shop.as_baker("PUT", "/capacity", &json!({ "perDate": {} })).await;
    assert_eq!((status, &answer["overbooked"]), (200, &json!([])), "{answer}");
}

#[tokio::test]
async fn bad_capacity_changes_are_refused_and_write_nothing() {
    let shop = shop();
    let before = shop.written();
    for body in [
        json!({}),
        json!({ "perWeekday": { "funday": 3 } }),
        json!({ "perWeekday": { "monday": -1 } }),
        json!({ "perWeekday": { "monday": 1_000_001 } }),
        json!({ "perDate": { "2026-02-30": 1 } }),
        json!({ "perDate": [1, 2] }),
        json!({ "cutoff": "25:00" }),
        json!({ "cutoff": 18 }),
        json!({ "capacity": 20 }),
    ] {
        let (status, answer) = shop.as_baker("PUT", "/capacity", &body).await;
        assert_eq!((status, error_code(&answer)), (422, "invalid"), "{body}: {answer}");
        assert_eq!(shop.written(), before, "{body}");
    }
}

#[tokio::test]
async fn the_shops_status_is_public_and_only_a_day_ahead_can_reopen_it() {
    let shop = shop();
    let (status, open) = shop.manage("GET", "/shop", "/shop", None, None).await;
    assert_eq!((status, open), (200, json!({ "open": true, "acceptingOrders": true })));

    let before = shop.written();
    for body in [
        json!({ "open": false, "until": "2026-11-20" }),
        json!({ "open": false, "until": "2026-11-01" }),
        json!({ "open": true, "until": "2026-12-01" }),
        json!({ "message": "closed" }),
        json!({ "open": "no" }),
    ] {
        let (status, answer) = shop.as_baker("PUT", "/shop", &body).await;
        assert_eq!((status, error_code(&answer)), (422, "invalid"), "{body}: {answer}");
    }
    assert_eq!(shop.written(), before);

    let closed = json!({ "open": false, "message": "Back after the holidays", "until": "2026-11-21" });
    let (status, answer) = shop.as_baker("PUT", "/shop", &closed).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer,
        json!({ "open": false, "message": "Back after the holidays", "until": "2026-11-21", "acceptingOrders": false })
    );
    assert_eq!(shop.manage("GET", "/shop", "/shop", None, None).await.1, answer);
    assert_eq!(shop.place(SAMPLE_ORDER).await.0, 503);
    shop.clock.set("2026-11-21T00:00:00Z");
    assert_eq!(
        shop.manage("GET", "/shop", "/shop", None, None).await.1["acceptingOrders"],
        true
    );
}

#[tokio::test]
async fn a_save_that_finds_the_setting_changed_is_applied_again_to_what_is_stored() {
    let shop = shop();
    let (status, _) = product_change(&shop, "1", Some(BAKER_KEY), &json!({ "priceCents": 3600 })).await;
    assert_eq!(status, 200);
    // Two other saves land between this request's read and its save.
    shop.orders.stale_next(2);
    let (status, product) = product_change(&shop, "2", Some(BAKER_KEY), &json!({ "priceCents": 2950 })).await;
    assert_eq!((status, &product["priceCents"]), (200, &json!(2950)), "{product}");
    assert_eq!(shop.orders.versions().0, 2, "two saves stored");
    let (_, listed) = shop.manage("GET", "/products", "/products", None, None).await;
    assert_eq!(
        (
            &listed["products"][0]["priceCents"],
            &listed["products"][1]["priceCents"]
        ),
        (&json!(3600), &json!(2950)),
        "the earlier change is kept"
    );

    shop.orders.stale_next(100);
    let before = shop.written();
    let (status, answer) = shop.as_baker("PUT", "/shop", &json!({ "open": false })).await;
    assert_eq!((status, error_code(&answer)), (503, "busy"), "{answer}");
    assert_eq!(shop.written(), before, "given up without writing");
    shop.orders.stale_next(0);
}

#[tokio::test]
async fn unknown_routes_are_404_in_the_error_shape() {
    let shop = shop();
    for (method, path) in [
        ("DELETE", "/products"),
        ("GET", "/capacity"),
        ("POST", "/shop"),
        ("GET", "/nothing"),
    ] {
        let (status, answer) = shop.manage(method, path, path, Some(BAKER_KEY), None).await;
        assert_eq!((status, error_code(&answer)), (404, "not_found"), "{method} {path}");
    }
}
