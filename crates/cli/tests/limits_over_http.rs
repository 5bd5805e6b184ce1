//! The client limits over real HTTP against a real `cakeshop dev` with its default limits,
//! clients told apart by their own loopback addresses (Linux routes all of 127.0.0.0/8 to
//! loopback): one client's flood of orders is refused with `429` and `Retry-After` while
//! another still orders for the same day; a forged `X-Forwarded-For` is not believed; a
//! restart forgets no count; guessing the baker key stops after five tries.

use crate::support::{DevProcess, project_file};
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

fn client_at(address: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::from(address)))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn start(data: &std::path::Path) -> DevProcess {
    DevProcess::start_with(
        data,
        &project_file("serverless.yml"),
        &[],
        &[("CLIENT_LIMITS", "default")],
    )
}

async fn order(
    client: &reqwest::Client,
    shop: &DevProcess,
    day: &str,
    forwarded: Option<&str>,
) -> (u16, String, Value) {
    let body = json!({"name": "Ada", "address": "1 Lane", "productId": 1, "quantity": 1, "deliveryDate": day});
    let mut request = client.post(format!("{}/order", shop.base)).json(&body);
    if let Some(forwarded) = forwarded {
        request = request.header("x-forwarded-for", forwarded);
    }
    let response = request.send().await.expect("answer");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, retry_after, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn one_clients_sixty_orders_get_429_while_another_client_orders_for_the_same_day() {
    let data = tempfile::tempdir().expect("temp dir");
    let shop = start(data.path());
    let (status, availability) = shop.get("/availability?days=3", None).await;
    assert_eq!(status, 200, "{availability}");
    let day = availability["days"][2]["date"].as_str().expect("a day").to_owned();
    let (flooder, other) = (client_at([127, 0, 0, 2]), client_at([127, 0, 0, 3]));

    let mut placed = 0;
    let mut refused = Vec::new();
    for n in 0..60 {
        // Each try claims to come from somewhere else: the shop trusts no proxy, so it is ignored.
        let forged = format!("203.0.113.{n}");
        let (status, retry_after, body) = order(&flooder, &shop, &day, Some(&forged)).await;
        match status {
            201 => placed += 1,
            429 => {
                assert_eq!(body["error"]["code"], "too_many_requests", "{body}");
                let seconds: u32 = retry_after.parse().expect("Retry-After is whole seconds");
                assert!((1..=86_400).contains(&seconds), "Retry-After {seconds}");
                refused.push(seconds);
            }
            other => panic!("order {n}: {other} {body}"),
        }
    }
    // Five a minute; the sixty take a few seconds, so at most one minute boundary falls inside.
    assert!((5..=10).contains(&placed), "{placed} of 60 placed");
    assert_eq!(refused.len(), 60 - placed);

    let (status, _, body) = order(&other, &shop, &day, None).await;
    assert_eq!(status, 201, "another client, the same day: {body}");
    assert_eq!(body["deliveryDate"], day.as_str());
    let (status, left) = shop.get(&format!("/availability?from={day}&days=1"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        left["days"][0]["booked"],
        json!(placed + 1),
        "refused orders took no cakes"
    );
}

#[tokio::test]
async fn a_restart_forgets_no_count() {
    let data = tempfile::tempdir().expect("temp dir");
    let config = project_file("serverless.yml");
    // A week's window, so that no window ends while the test runs.
    let limits = [("CLIENT_LIMITS", "order=3/7d")];
    let mut shop = DevProcess::start_with(data.path(), &config, &[], &limits);
    let (_, availability) = shop.get("/availability?days=3", None).await;
    let day = availability["days"][2]["date"].as_str().expect("a day").to_owned();
    let client = client_at([127, 0, 0, 6]);
    for _ in 0..3 {
        assert_eq!(order(&client, &shop, &day, None).await.0, 201);
    }
    assert_eq!(order(&client, &shop, &day, None).await.0, 429);
    shop.terminate();
    assert!(shop.exit_within(Duration::from_secs(15)).is_some(), "a clean stop");
    let shop = DevProcess::start_with(data.path(), &config, &[], &limits);
    let (status, retry_after, body) = order(&client, &shop, &day, None).await;
    assert_eq!(status, 429, "the count survived the restart: {body}");
    assert!(!retry_after.is_empty());
}

#[tokio::test]
async fn the_baker_key_cannot_be_guessed_at_length() {
    let data = tempfile::tempdir().expect("temp dir");
    let shop = start(data.path());
    let guesser = client_at([127, 0, 0, 4]);
    let sign_in = |client: &reqwest::Client, key: &str| {
        client
            .post(format!("{}/baker/sign-in", shop.base))
            .header("sec-fetch-site", "same-origin")
            .form(&[("key", key)])
            .send()
    };
    let no_redirects = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 5)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut statuses = Vec::new();
    for n in 0..30 {
        let response = sign_in(&guesser, &format!("guess-{n}")).await.expect("answer");
        statuses.push(response.status().as_u16());
    }
    assert_eq!(&statuses[..5], [401; 5]);
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    let response = sign_in(&guesser, &shop.baker_key).await.expect("answer");
    assert_eq!(
        response.status().as_u16(),
        429,
        "the right key waits too, from that address"
    );
    assert!(response.headers().contains_key("retry-after"));
    let response = sign_in(&no_redirects, &shop.baker_key).await.expect("answer");
    assert_eq!(response.status().as_u16(), 303, "the baker, from elsewhere");
}
