//! Keys never logged: a real `cakeshop dev` logging at trace level goes through a whole
//! lifecycle (and some refused requests); its logs then hold none of the baker key, the signing
//! secret, a customer token or a baker link. The baker key is printed once, by design, in the
//! banner on stdout, and nowhere else.

use crate::support;

use crate::support::{DevProcess, eventually, project_file};
use serde_json::{Value, json};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(20);

fn link_token(email: &Value) -> String {
    let text = email["text"].as_str().unwrap_or_default();
    let start = text.find("token=").map(|i| i + "token=".len()).unwrap_or(text.len());
    text[start..].split_whitespace().next().unwrap_or_default().to_owned()
}

/// Places an order and waits for the baker's email; returns the order id, customer token and
/// the link token from the email.
async fn placed_and_mailed(shop: &DevProcess, name: &str) -> (String, String, String) {
    let (status, placed) = shop.place(name).await;
    assert_eq!(status, 201, "{placed}");
    let order_id = placed["orderId"].as_str().expect("orderId").to_owned();
    let token = placed["customerToken"].as_str().expect("customerToken").to_owned();
    let email = eventually("the baker's email", PATIENCE, || async {
        shop.mail().await.into_iter().find(|m| m["orderId"] == order_id)
    })
    .await;
    (order_id, token, link_token(&email))
}

async fn delivered(shop: &DevProcess, order_id: &str, token: &str) {
    let body = json!({ "orderId": order_id, "rating": 5, "feedback": "Lovely" });
    let (status, answer) = eventually("out for delivery", PATIENCE, || async {
        let (status, answer) = shop.post("/order/delivered", Some(token), &body).await;
        (status != 409).then_some((status, answer))
    })
    .await;
    assert_eq!(status, 200, "{answer}");
    eventually("feedback forwarded", PATIENCE, || async {
        shop.partner_calls("customer-service")
            .await
            .into_iter()
            .find(|c| c["body"]["orderId"] == order_id)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_key_secret_token_or_link_reaches_the_logs_even_at_trace_level() {
    let data = tempfile::tempdir().expect("temp dir");
    let (shop, output) = DevProcess::start_logging(data.path(), &project_file("serverless.yml"), "trace");
    let secrets: Value =
        serde_json::from_str(&std::fs::read_to_string(data.path().join("secrets.json")).expect("secrets.json"))
            .expect("secrets json");
    let signing_secret = secrets["signingSecret"].as_str().expect("signingSecret").to_owned();
    assert_eq!(
        secrets["bakerApiKey"],
        shop.baker_key.as_str(),
        "the banner shows the stored key"
    );

    // One order fulfilled with the key, one through the link's page and button.
    let (by_key, by_key_token, by_key_link) = placed_and_mailed(&shop, "Key Order").await;
    let (by_link, by_link_token, link) = placed_and_mailed(&shop, "Link Order").await;
    let (status, _) = shop
        .post("/order/fulfilled", Some(&shop.baker_key), &json!({ "orderId": by_key }))
        .await;
    assert_eq!(status, 200);
    let page = shop
        .http
        .get(format!("{}/order/fulfilled?token={link}", shop.base))
        .send()
        .await;
    assert_eq!(page.map(|p| p.status().as_u16()).unwrap_or_default(), 200);
    let pressed = shop
        .http
        .post(format!("{}/order/fulfilled", shop.base))
        .form(&[("token", link.as_str())])
        .send()
        .await;
    assert_eq!(pressed.map(|p| p.status().as_u16()).unwrap_or_default(), 200);
    assert_eq!(shop.get(&format!("/order/{by_key}"), Some(&by_key_token)).await.0, 200);
    delivered(&shop, &by_key, &by_key_token).await;
    delivered(&shop, &by_link, &by_link_token).await;

    // Refusals log too: a used link, a tampered link, a key with a typo, a token on the wrong order.
    let tampered = format!("{by_key_link}x");
    let wrong_key = format!("{}x", shop.baker_key);
    for bearer in [&link, &tampered, &wrong_key, &by_link_token] {
        let (status, _) = shop
            .post("/order/fulfilled", Some(bearer), &json!({ "orderId": by_link }))
            .await;
        assert!([401, 403, 409].contains(&status), "{status}");
    }
    assert_eq!(shop.get(&format!("/order/{by_link}"), Some(&by_key_token)).await.0, 403);
    drop(shop);

    let logs = output.logs();
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "the logs were captured at a verbose level"
    );
    assert!(
        logs.contains(&by_key) && logs.contains(&by_link),
        "the logs name the orders, by id"
    );
    let signature = |token: &str| token.rsplit('.').next().unwrap_or_default().to_owned();
    let secrets = [
        ("the baker key", shop_key(&output)),
        ("the signing secret", signing_secret),
        ("a customer token", by_key_token),
        ("a customer token", by_link_token),
        ("a baker link", signature(&link)),
        ("a baker link", signature(&by_key_link)),
    ];
    for (what, secret) in &secrets {
        assert!(secret.len() >= 16, "{what} is long enough to search for");
        assert!(!logs.contains(secret.as_str()), "{what} is in the logs");
    }
    let stdout = output.stdout();
    assert_eq!(
        stdout.matches(secrets[0].1.as_str()).count(),
        1,
        "the banner shows the baker key once: {stdout}"
    );
    for (what, secret) in &secrets[1..] {
        assert!(!stdout.contains(secret.as_str()), "{what} is on stdout");
    }
}

/// The baker key as the banner printed it.
fn shop_key(output: &support::CapturedOutput) -> String {
    output
        .stdout()
        .lines()
        .find_map(|line| line.trim().strip_prefix("baker key"))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default()
        .to_owned()
}
