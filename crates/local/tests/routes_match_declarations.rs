//! `serverless.yml` routes exactly what each function declares, and `cakeshop dev` refuses a
//! copy that does not: a route removed there, or one added that no function declares.

use cakeshop_local::serverless::{read_serverless_yml, route_disagreements};
use std::path::{Path, PathBuf};

fn project_serverless_yml() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../serverless.yml")
}

/// The disagreements of a copy of `serverless.yml` with `from` replaced by `to` once.
fn disagreements_with(from: &str, to: &str) -> Vec<String> {
    let text = std::fs::read_to_string(project_serverless_yml()).expect("readable");
    assert!(text.contains(from), "serverless.yml has {from:?}");
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("serverless.yml");
    std::fs::write(&broken, text.replacen(from, to, 1)).expect("written");
    let wiring = read_serverless_yml(&broken).expect("still readable");
    route_disagreements(&wiring)
}

#[test]
fn serverless_yml_routes_exactly_the_declared_routes() {
    let wiring = read_serverless_yml(&project_serverless_yml()).expect("serverless.yml is readable");
    assert_eq!(route_disagreements(&wiring), Vec::<String>::new());
}

#[test]
fn a_route_removed_from_serverless_yml_is_caught() {
    let route = "      - httpApi:\n          method: POST\n          path: /baker/capacity\n";
    assert_eq!(
        disagreements_with(route, ""),
        ["manage-shop: declares POST /baker/capacity, which serverless.yml does not route to it"]
    );
}

#[test]
fn a_route_no_function_declares_is_caught() {
    let route = "      - httpApi:\n          method: POST\n          path: /order/cancelled\n";
    let extra = format!("{route}      - httpApi:\n          method: DELETE\n          path: /order/{{orderId}}\n");
    assert_eq!(
        disagreements_with(route, &extra),
        ["cancel-order: serverless.yml routes DELETE /order/{orderId} to it, which it does not declare"]
    );
}

#[test]
fn a_route_given_to_another_function_is_caught() {
    // `GET /shop` moved from manage-shop to order-queries.
    let shop = "      - httpApi:\n          method: GET\n          path: /shop\n";
    let orders = "      - httpApi:\n          method: GET\n          path: /orders\n";
    let text = std::fs::read_to_string(project_serverless_yml()).expect("readable");
    let moved = text
        .replacen(shop, "", 1)
        .replacen(orders, &format!("{orders}{shop}"), 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("serverless.yml");
    std::fs::write(&broken, moved).expect("written");
    let wiring = read_serverless_yml(&broken).expect("still readable");
    assert_eq!(
        route_disagreements(&wiring),
        [
            "order-queries: serverless.yml routes GET /shop to it, which it does not declare",
            "manage-shop: declares GET /shop, which serverless.yml does not route to it",
        ]
    );
}
