//! `cakeshop functions --json` lists every declared function with what it reads, in the shape
//! the deployment checks and other tools can rely on.

use std::process::Command;

#[test]
fn lists_every_declared_function_with_its_trigger_environment_and_routes() {
    let output = Command::new(env!("CARGO_BIN_EXE_cakeshop"))
        .args(["functions", "--json"])
        .output()
        .expect("cakeshop runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let functions = listed.as_array().expect("a list");
    let names: Vec<&str> = functions.iter().filter_map(|f| f["name"].as_str()).collect();
    assert_eq!(names, cakeshop_handlers::functions::names());

    let notify_baker = functions
        .iter()
        .find(|f| f["name"] == "notify-baker")
        .expect("notify-baker is listed");
    assert_eq!(notify_baker["trigger"], "kinesis");
    let environment: Vec<(&str, &str)> = notify_baker["environment"]
        .as_array()
        .expect("its environment")
        .iter()
        .filter_map(|v| Some((v["name"].as_str()?, v["kind"].as_str()?)))
        .collect();
    assert_eq!(
        environment,
        [
            ("ORDERS_TABLE", "plain"),
            ("SIGNING_SECRET", "secret"),
            ("SENDER_EMAIL", "plain"),
            ("BAKER_EMAIL", "plain"),
            ("PUBLIC_BASE_URL", "plain"),
            ("STAGE", "plain"),
        ]
    );

    let route_keys = |name: &str| -> Vec<String> {
        let function = functions.iter().find(|f| f["name"] == name).expect("listed");
        let routes = function["routes"].as_array().expect("its routes");
        routes
            .iter()
            .map(|r| {
                format!(
                    "{} {} {}",
                    r["method"].as_str().unwrap_or("?"),
                    r["path"].as_str().unwrap_or("?"),
                    r["access"].as_str().unwrap_or("?")
                )
            })
            .collect()
    };
    assert_eq!(route_keys("cancel-order"), ["POST /order/cancelled customerOrBaker"]);
    assert_eq!(
        route_keys("fulfill-order"),
        ["GET /order/fulfilled baker", "POST /order/fulfilled baker"]
    );
    assert!(route_keys("manage-shop").contains(&"POST /baker/capacity baker".to_owned()));
    assert_eq!(route_keys("notify-baker"), Vec::<String>::new());
}
