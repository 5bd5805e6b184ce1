//! The shop behind the project's Caddy recipe (`deploy/Caddyfile`), set up as README's
//! "Serving customers" says: `cakeshop dev --listen 127.0.0.1:<port> --trusted-proxy
//! 127.0.0.1` with `PUBLIC_BASE_URL` the proxy's address, the real Caddy in front. Customers
//! order through the proxy, the operator's paths are not there, the emails' links lead to the
//! public URL, and what a proxy says (`X-Forwarded-Proto`) is believed from the trusted address
//! only. Which customer the shop takes each request to come from is shown through
//! the same recipe in `crates/local/tests/client_address_behind_a_proxy.rs`, where the function
//! behind the gateway records the events it is given.

use crate::support::{DevProcess, eventually, project_file};
use cakeshop_test_support::{Caddy, free_port};
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// The shop set up as README's "Serving customers" says, behind the real Caddy, with
/// `limits` as `CLIENT_LIMITS` if given: its data directory, the proxy, where the shop
/// listens, and the shop.
fn behind_caddy(limits: Option<&str>) -> (tempfile::TempDir, Caddy, String, DevProcess) {
    let data = tempfile::tempdir().expect("temp dir");
    let upstream = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let caddy = Caddy::in_front_of(upstream);
    let listen = upstream.to_string();
    let mut env = vec![("PUBLIC_BASE_URL", caddy.url.as_str())];
    env.extend(limits.map(|limits| ("CLIENT_LIMITS", limits)));
    let shop = DevProcess::start_with(
        data.path(),
        &project_file("serverless.yml"),
        &["--listen", &listen, "--trusted-proxy", "127.0.0.1"],
        &env,
    );
    (data, caddy, listen, shop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_order_through_the_proxy_which_shows_nothing_of_the_operators() {
    let (_data, caddy, listen, shop) = behind_caddy(None);
    for expected in [
        format!("public URL      {}", caddy.url),
        "trusted proxies 127.0.0.1".to_owned(),
    ] {
        assert!(
            shop.banner.iter().any(|line| line.contains(&expected)),
            "the banner shows {expected:?}: {:?}",
            shop.banner
        );
    }
    shop.make_room().await;

    let customer = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<IpAddr>().expect("an address"))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client");
    let storefront = customer
        .get(format!("{}/", caddy.url))
        .send()
        .await
        .expect("the storefront");
    assert_eq!(storefront.status(), 200, "{}", caddy.log());
    let placed = customer
        .post(format!("{}/order", caddy.url))
        .json(&json!({ "name": "Behind Caddy", "address": "1 Proxy Road", "productId": 1, "quantity": 1 }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(placed.status(), 201);
    let placed: Value = placed.json().await.expect("JSON");
    let order_id = placed["orderId"].as_str().expect("orderId").to_owned();

    for path in [
        "/_local/",
        "/_local/mail",
        "/_local/partners/delivery",
        "/_local/console.css",
    ] {
        let answer = customer
            .get(format!("{}{path}", caddy.url))
            .send()
            .await
            .expect("an answer");
        assert_eq!(answer.status(), 404, "{path} through the proxy");
        let body: Value = answer.json().await.unwrap_or_default();
        assert_eq!(body["error"]["code"], "not_found", "{path}: {body}");
    }

    let email = eventually("the baker's email", Duration::from_secs(20), || async {
        shop.mail()
            .await
            .into_iter()
            .find(|m| m["orderId"] == order_id.as_str())
    })
    .await;
    let text = email["text"].as_str().unwrap_or_default();
    assert!(
        text.contains(&format!("{}/", caddy.url)),
        "links to the public URL: {text}"
    );
    assert!(!text.contains(&listen), "and not to where the shop listens: {text}");

    // What a proxy says is believed from the trusted address only: a proxy ending HTTPS says
    // X-Forwarded-Proto: https, and the board's session cookie is then Secure.
    for (from, secure) in [("127.0.0.1", true), ("127.0.0.2", false)] {
        let cookie = board_session_cookie(&shop, from, &listen).await;
        assert_eq!(
            cookie.contains("; Secure"),
            secure,
            "signed in directly from {from}: {cookie}"
        );
    }
}

/// The board's session cookie for a sign-in sent straight to the shop from `from`, saying it
/// came over HTTPS.
async fn board_session_cookie(shop: &DevProcess, from: &str, listen: &str) -> String {
    let client = reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().expect("an address"))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let answer = client
        .post(format!("http://{listen}/baker/sign-in"))
        .header("x-forwarded-proto", "https")
        .form(&[("key", shop.baker_key.as_str())])
        .send()
        .await
        .expect("an answer");
    assert_eq!(answer.status(), 303, "signed in from {from}");
    let cookie = answer.headers().get("set-cookie").and_then(|v| v.to_str().ok());
    cookie.expect("a session cookie").to_owned()
}

/// Behind the real Caddy with the limits on: two customers are told apart by their own
/// addresses (each has its own five orders), and neither an `X-Forwarded-For` sent
/// through the proxy nor one sent straight to the shop makes one customer pass for another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limits_tell_customers_apart_behind_the_proxy_and_believe_no_forged_header() {
    // A week's window, so that no window ends while the test runs.
    let (_data, caddy, listen, shop) = behind_caddy(Some("order=5/7d"));
    shop.make_room().await;
    let client = |address: &str| {
        reqwest::Client::builder()
            .local_address(address.parse::<IpAddr>().expect("an address"))
            .timeout(Duration::from_secs(10))
            .build()
            .expect("a client")
    };
    let order = |client: reqwest::Client, base: String, forwarded: Option<&'static str>| async move {
        let mut request = client
            .post(format!("{base}/order"))
            .json(&json!({ "name": "Behind Caddy", "address": "1 Proxy Road", "productId": 1, "quantity": 1 }));
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-for", forwarded);
        }
        request.send().await.expect("an answer").status().as_u16()
    };
    let (first, second) = (client("127.0.0.2"), client("127.0.0.3"));
    for n in 0..5 {
        let forged = [
            "198.51.100.1",
            "198.51.100.2",
            "198.51.100.3",
            "198.51.100.4",
            "198.51.100.5",
        ][n];
        let status = order(first.clone(), caddy.url.clone(), Some(forged)).await;
        assert_eq!(status, 201, "order {n} through the proxy: {}", caddy.log());
    }
    let status = order(first.clone(), caddy.url.clone(), Some("198.51.100.6")).await;
    assert_eq!(status, 429, "the sixth, whatever it claims through the proxy");
    let direct = order(first.clone(), format!("http://{listen}"), Some("127.0.0.9")).await;
    assert_eq!(direct, 429, "straight to the shop, claiming to be someone else");
    assert_eq!(
        order(second, caddy.url.clone(), None).await,
        201,
        "another customer through the same proxy"
    );
}
