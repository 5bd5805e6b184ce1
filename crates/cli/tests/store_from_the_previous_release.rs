//! Upgrades: a store written by the previous release (`fixtures/store-727852b`, made by
//! `tools/make-store-fixture` with that release's binary: a product of the baker's own and
//! orders placed, out for delivery, delivered and cancelled) opens in this one and carries on.
//! Every order is there with its status and its customer's link, its email is not sent again,
//! an idempotent retry of a placement still finds its order, and the open orders finish their
//! journey.

use crate::support::{DevProcess, eventually, project_file};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

const FIXTURE: &str = "crates/cli/tests/fixtures/store-727852b";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_written_by_the_previous_release_opens_and_carries_on() {
    let fixture = project_file(FIXTURE);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture.join("manifest.json")).expect("manifest")).expect("json");
    let data = tempfile::tempdir().expect("temp dir");
    for file in [cakeshop_sqlite::STORE_FILE, "secrets.json"] {
        copy_private(&fixture.join(file), &data.path().join(file));
    }
    let shop = DevProcess::start(data.path(), &project_file("serverless.yml"));
    let order = |name: &str| {
        let order = &manifest["orders"][name];
        (
            order["orderId"].as_str().expect("orderId").to_owned(),
            order["customerToken"].as_str().expect("token").to_owned(),
        )
    };

    for (name, written) in manifest["orders"].as_object().expect("orders") {
        let (id, token) = order(name);
        let (status, now) = shop.get(&format!("/order/{id}"), Some(&token)).await;
        assert_eq!(status, 200, "order {name} ({id}) with its customer's link: {now}");
        assert_eq!(now["status"], written["status"], "order {name}'s status");
    }
    let (status, products) = shop.get("/products", None).await;
    assert_eq!(status, 200, "{products}");
    let own = products["products"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["productId"] == manifest["productId"]))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (&own["name"], &own["priceCents"]),
        (&json!("Upgrade tart"), &json!(2450)),
        "{products}"
    );

    // The retry of a placement the previous release answered finds the same order.
    let (placed_id, placed_token) = order("Placed");
    let retried = shop
        .http
        .post(format!("{}/order", shop.base))
        .header("Idempotency-Key", "fixture-placed")
        .json(
            &json!({ "name": "Placed", "address": "1 Old Street", "productId": manifest["productId"], "quantity": 1 }),
        )
        .send()
        .await
        .expect("retry sent");
    let retried_status = retried.status().as_u16();
    let retried: Value = retried.json().await.expect("json");
    assert_eq!(
        (retried_status, retried["orderId"].as_str()),
        (201, Some(placed_id.as_str())),
        "{retried}"
    );

    // The open orders go on: the placed one is made and delivered, the one out for delivery
    // is received, and a new customer orders.
    let (status, body) = shop
        .post(
            "/order/fulfilled",
            Some(&shop.baker_key),
            &json!({ "orderId": placed_id }),
        )
        .await;
    assert_eq!(status, 200, "fulfilling {placed_id}: {body}");
    called("delivery", &shop, &placed_id).await;
    let (out_id, out_token) = order("Fulfilled");
    let (status, body) = shop
        .post(
            "/order/delivered",
            Some(&out_token),
            &json!({ "orderId": out_id, "rating": 4, "feedback": "Still good" }),
        )
        .await;
    assert_eq!((status, &body["status"]), (200, &json!("delivered")), "{body}");
    called("customer-service", &shop, &out_id).await;
    let (status, body) = shop.place("After the upgrade").await;
    assert_eq!(status, 201, "{body}");
    let new_id = body["orderId"].as_str().expect("orderId").to_owned();

    // One email per order: the new one's arrives, the old ones are not sent again.
    let emails = eventually("the new order's email", Duration::from_secs(30), || async {
        let mail = shop.mail().await;
        mail.iter()
            .any(|email| email["orderId"] == json!(new_id))
            .then_some(mail)
    })
    .await;
    let mut per_order: HashMap<String, usize> = HashMap::new();
    for email in &emails {
        if let Some(id) = email["orderId"].as_str() {
            *per_order.entry(id.to_owned()).or_default() += 1;
        }
    }
    for name in ["Placed", "Fulfilled", "Delivered"] {
        let (id, _) = order(name);
        assert_eq!(
            per_order.get(&id),
            Some(&1),
            "order {name}'s baker email, once: {emails:?}"
        );
    }
    let (_, placed_now) = shop.get(&format!("/order/{placed_id}"), Some(&placed_token)).await;
    println!(
        "the previous release's store ({}) opened: {} orders, {} emails; its placed order is now {}",
        manifest["writtenBy"],
        manifest["orders"].as_object().map_or(0, |o| o.len()),
        emails.len(),
        placed_now["status"]
    );
}

async fn called(partner: &str, shop: &DevProcess, order_id: &str) {
    eventually(
        &format!("the {partner} call for {order_id}"),
        Duration::from_secs(30),
        || async {
            let calls = shop.partner_calls(partner).await;
            calls
                .iter()
                .any(|call| call["body"]["orderId"] == json!(order_id))
                .then_some(())
        },
    )
    .await;
}

/// The fixture is read-only in the checkout; the shop writes its copy.
fn copy_private(from: &Path, to: &Path) {
    std::fs::copy(from, to).expect("fixture copied");
    let mut permissions = std::fs::metadata(to).expect("metadata").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    permissions.set_readonly(false);
    std::fs::set_permissions(to, permissions).expect("writable");
}
