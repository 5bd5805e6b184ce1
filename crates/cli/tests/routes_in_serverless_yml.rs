//! `cakeshop dev` refuses a `serverless.yml` whose routes are not exactly the ones the functions
//! declare, naming the disagreement, and writes nothing.

use crate::support::project_file;
use std::process::{Command, Stdio};

#[test]
fn a_route_no_function_declares_stops_the_shop_before_it_writes_anything() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = std::fs::read_to_string(project_file("serverless.yml")).expect("serverless.yml");
    let route = "      - httpApi:\n          method: POST\n          path: /order/cancelled\n";
    assert!(text.contains(route), "cancel-order's route");
    let extra = format!("{route}      - httpApi:\n          method: DELETE\n          path: /order/{{orderId}}\n");
    let config = dir.path().join("serverless.yml");
    std::fs::write(&config, text.replacen(route, &extra, 1)).expect("written");
    let data = dir.path().join("data");

    let output = Command::new(env!("CARGO_BIN_EXE_cakeshop"))
        .args(["dev", "--port", "0", "--console-port", "0", "--data-dir"])
        .arg(&data)
        .arg("--config")
        .arg(&config)
        .env("CAKESHOP_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("cakeshop runs");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it exits non-zero: {said}");
    assert!(
        said.contains("cancel-order: serverless.yml routes DELETE /order/{orderId} to it, which it does not declare"),
        "it names the route: {said}"
    );
    assert!(!data.exists(), "it wrote nothing");
}
