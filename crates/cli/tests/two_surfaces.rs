//! `cakeshop dev` serves two surfaces, over real HTTP against a real process: the public one
//! (`--port` or `--listen`) is exactly what API Gateway serves, the API and the pages, and
//! answers every `/_local/` path 404; the operator's (`--console-port`, loopback only) serves
//! the console, the mailbox feed and the partner stand-ins, refuses a request addressed to any
//! name but its own (DNS rebinding) and a change another site's page sends. Malformed
//! addresses and trusted proxies stop the start with the reason.

use crate::support::{DevProcess, eventually, project_file};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// A request to one of the operator surface's paths.
struct Call {
    method: reqwest::Method,
    path: String,
    body: Body,
}

enum Body {
    None,
    Json(Value),
    Form(Vec<(&'static str, &'static str)>),
}

fn call(method: reqwest::Method, path: impl Into<String>, body: Body) -> Call {
    Call {
        method,
        path: path.into(),
        body,
    }
}

/// Every path the operator surface serves: the console's pages, assets and forms, the mailbox
/// feed, the partner stand-ins (their API, feeds and fault switches).
fn operator_calls(order_id: &str, email_seq: i64) -> Vec<Call> {
    use reqwest::Method;
    let fault = vec![
        ("partner", "delivery"),
        ("failureRate", "0"),
        ("mode", "error"),
        ("status", "503"),
    ];
    vec![
        call(Method::GET, "/_local/", Body::None),
        call(Method::GET, "/_local/functions/place-order", Body::None),
        call(Method::GET, format!("/_local/orders?orderId={order_id}"), Body::None),
        call(Method::GET, format!("/_local/orders/{order_id}"), Body::None),
        call(Method::GET, "/_local/mail", Body::None),
        call(Method::GET, format!("/_local/mail/{email_seq}"), Body::None),
        call(Method::GET, format!("/_local/mail/{email_seq}/html"), Body::None),
        call(Method::GET, "/_local/console.css", Body::None),
        call(Method::GET, "/_local/live.js", Body::None),
        call(Method::GET, "/_local/cake.svg", Body::None),
        call(Method::GET, "/_local/partners/delivery", Body::None),
        call(Method::GET, "/_local/partners/customer-service", Body::None),
        call(
            Method::POST,
            "/_local/partners/delivery",
            Body::Json(json!({ "orderId": order_id })),
        ),
        call(Method::GET, "/_local/partners/delivery/faults", Body::None),
        call(
            Method::PUT,
            "/_local/partners/delivery/faults",
            Body::Json(json!({ "failureRate": 0.0 })),
        ),
        call(Method::DELETE, "/_local/partners/delivery/faults", Body::None),
        call(Method::POST, "/_local/console/fault", Body::Form(fault)),
        call(
            Method::POST,
            "/_local/console/heal",
            Body::Form(vec![("partner", "delivery")]),
        ),
        call(
            Method::POST,
            "/_local/console/redrive",
            Body::Form(vec![("queue", "DeliveryDeadLetterQueue")]),
        ),
    ]
}

/// Sends `call` to `base` without following redirects; the status and the body.
async fn send(base: &str, call: &Call) -> (u16, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client");
    let mut request = http.request(call.method.clone(), format!("{base}{}", call.path));
    request = match &call.body {
        Body::None => request,
        Body::Json(body) => request.json(body),
        Body::Form(fields) => request.form(fields),
    };
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// One HTTP/1.1 exchange written by hand, so the test chooses every header (`Host` too):
/// `head` is the request line and headers, each ending in CRLF. The status and the body.
fn exchange(address: &str, head: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).expect("connected");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    let request = format!(
        "{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn host_port(url: &str) -> &str {
    url.trim_start_matches("http://")
}

async fn delivery_fault(shop: &DevProcess) -> Value {
    let (status, fault) = shop.console_get("/_local/partners/delivery/faults").await;
    assert_eq!(status, 200, "{fault}");
    fault
}

/// A placed order whose baker's email is in the mailbox: its id and the email's `seq`.
async fn order_with_email(shop: &DevProcess) -> (String, i64) {
    let (status, placed) = shop.place("Two Surfaces").await;
    assert_eq!(status, 201, "{placed}");
    let order_id = placed["orderId"].as_str().expect("orderId").to_owned();
    let seq = eventually("the baker's email", Duration::from_secs(20), || async {
        let mail = shop.mail().await;
        mail.iter().find(|m| m["orderId"] == order_id.as_str())?["seq"].as_i64()
    })
    .await;
    (order_id, seq)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operator_path_is_404_on_the_public_listener_and_served_on_the_operators() {
    let data = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start(data.path(), &project_file("serverless.yml"));
    assert_ne!(shop.base, shop.console, "two listeners");
    let (order_id, seq) = order_with_email(&shop).await;
    let healthy = delivery_fault(&shop).await;

    for call in operator_calls(&order_id, seq) {
        let (status, body) = send(&shop.base, &call).await;
        assert_eq!(status, 404, "public {} {}: {body}", call.method, call.path);
        let error: Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(
            error["error"]["code"], "not_found",
            "public {} {}: {body}",
            call.method, call.path
        );
        assert!(error["error"]["message"].is_string(), "{body}");
    }
    assert_eq!(delivery_fault(&shop).await, healthy, "the public listener set no fault");
    assert!(
        shop.partner_calls("delivery").await.is_empty(),
        "nor took a partner call"
    );

    for call in operator_calls(&order_id, seq) {
        let (status, body) = send(&shop.console, &call).await;
        assert!(
            (200..400).contains(&status),
            "operator {} {}: {status} {body}",
            call.method,
            call.path
        );
    }

    // Each surface is only itself: the API is not on the operator's, whose console links to it.
    let (status, _) = shop.get("/products", None).await;
    assert_eq!(status, 200);
    let (status, body) = shop.console_get("/products").await;
    assert_eq!((status, &body["error"]["code"]), (404, &json!("not_found")), "{body}");
    let (_, console) = send(&shop.console, &call(reqwest::Method::GET, "/_local/", Body::None)).await;
    assert!(
        console.contains(&format!(r#"<a href="{}/">The shop</a>"#, shop.base)),
        "{console}"
    );
    assert!(
        shop.banner.iter().any(|line| line.contains("console")
            && line.contains(&format!("{}/_local/", shop.console))
            && line.contains("operator only")),
        "{:?}",
        shop.banner
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_listener_refuses_foreign_hosts_and_cross_site_changes() {
    let data = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start(data.path(), &project_file("serverless.yml"));
    let operator = host_port(&shop.console).to_owned();
    let port = shop.console_port();
    let public = host_port(&shop.base).to_owned();
    let healthy = delivery_fault(&shop).await;

    // A name re-pointed at 127.0.0.1 (DNS rebinding), another port's name, or none at all.
    let (rebound, public_host) = (format!("Host: evil.example:{port}\r\n"), format!("Host: {public}\r\n"));
    for (host, path) in [
        ("Host: evil.example\r\n", "/_local/"),
        (rebound.as_str(), "/_local/mail"),
        (public_host.as_str(), "/_local/partners/delivery"),
        ("Host: 127.0.0.1\r\n", "/_local/"),
        ("Host: evil.example\r\n", "/nothing-here"),
        ("", "/_local/"),
    ] {
        let version = if host.is_empty() { "HTTP/1.0" } else { "HTTP/1.1" };
        let (status, body) = exchange(&operator, &format!("GET {path} {version}\r\n{host}"), "");
        assert_eq!(status, 421, "{host:?} {path}: {body}");
        assert!(body.contains(r#""code":"foreign_host""#), "{body}");
        assert!(body.contains(&operator), "it names its own address: {body}");
    }
    for own in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let (status, body) = exchange(&operator, &format!("GET /_local/ HTTP/1.1\r\nHost: {own}\r\n"), "");
        assert_eq!(status, 200, "{own}: {body}");
    }

    // Changes another site's page makes the browser send.
    let fault_form = "partner=delivery&failureRate=1&mode=error&status=503";
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let json = "Content-Type: application/json\r\n";
    let fault_json = r#"{"failureRate":1}"#;
    let public_origin = format!("Origin: http://{public}\r\n");
    for (request, extra, body) in [
        (
            "POST /_local/console/fault",
            "Origin: http://evil.example\r\n",
            fault_form,
        ),
        ("POST /_local/console/fault", public_origin.as_str(), fault_form),
        (
            "POST /_local/console/fault",
            "Sec-Fetch-Site: cross-site\r\n",
            fault_form,
        ),
        (
            "POST /_local/console/fault",
            "Sec-Fetch-Site: same-site\r\n",
            fault_form,
        ),
        ("POST /_local/console/fault", "Origin: null\r\n", fault_form),
        (
            "PUT /_local/partners/delivery/faults",
            "Origin: http://evil.example\r\n",
            fault_json,
        ),
        (
            "DELETE /_local/partners/delivery/faults",
            "Sec-Fetch-Site: cross-site\r\n",
            "",
        ),
        (
            "POST /_local/console/redrive",
            "Origin: http://evil.example\r\n",
            "queue=DeliveryDeadLetterQueue",
        ),
    ] {
        let content_type = if body.starts_with('{') { json } else { form };
        let head = format!("{request} HTTP/1.1\r\nHost: {operator}\r\n{content_type}{extra}");
        let (status, answer) = exchange(&operator, &head, body);
        assert_eq!(status, 403, "{request} with {extra:?}: {answer}");
        assert!(answer.contains(r#""code":"cross_site""#), "{answer}");
    }
    assert_eq!(delivery_fault(&shop).await, healthy, "no refused change was made");

    // The console's own pages (Chromium sends Origin: null under their no-referrer policy,
    // with Sec-Fetch-Site: same-origin), its own origin, and tools that send neither.
    let own_page = format!(
        "POST /_local/console/fault HTTP/1.1\r\nHost: {operator}\r\n{form}Origin: null\r\nSec-Fetch-Site: same-origin\r\n"
    );
    let (status, answer) = exchange(&operator, &own_page, fault_form);
    assert_eq!(status, 303, "{answer}");
    assert_eq!(delivery_fault(&shop).await["failureRate"], 1.0);
    let own_origin = format!(
        "POST /_local/console/heal HTTP/1.1\r\nHost: localhost:{port}\r\n{form}Origin: http://localhost:{port}\r\n"
    );
    let (status, answer) = exchange(&operator, &own_origin, "partner=delivery");
    assert_eq!(status, 303, "{answer}");
    assert_eq!(delivery_fault(&shop).await, healthy);
    let (status, answer) = shop
        .console_put("/_local/partners/delivery/faults", &json!({ "failureRate": 0.5 }))
        .await;
    assert_eq!(status, 200, "{answer}");
}

/// A port free on both 127.0.0.1 and 127.0.0.2 (held by neither once this returns).
fn port_free_on_both() -> u16 {
    for _ in 0..20 {
        let first = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = first.local_addr().expect("its address").port();
        if TcpListener::bind(("127.0.0.2", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free on both 127.0.0.1 and 127.0.0.2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_serves_the_public_surface_at_the_address_given_and_the_console_stays_on_loopback() {
    let data = tempfile::tempdir().expect("temp dir");
    let port = port_free_on_both();
    let listen = format!("127.0.0.2:{port}");
    let shop = DevProcess::start_with(
        data.path(),
        &project_file("serverless.yml"),
        &["--listen", &listen],
        &[],
    );
    assert_eq!(shop.base, format!("http://{listen}"));
    let (status, body) = shop.get("/products", None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = shop.get("/_local/mail", None).await;
    assert_eq!(status, 404, "{body}");
    assert!(
        TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).is_err(),
        "nothing public on 127.0.0.1:{port}"
    );
    assert!(shop.console.starts_with("http://127.0.0.1:"), "{}", shop.console);
    let console_port: u16 = shop.console_port().parse().expect("a port");
    assert!(
        TcpStream::connect(("127.0.0.2", console_port)).is_err(),
        "the console listens on 127.0.0.1 alone"
    );
    let (status, body) = shop.console_get("/_local/mail").await;
    assert_eq!(status, 200, "{body}");

    // The emails' links lead to where the shop listens.
    let (status, placed) = shop.place("Elsewhere").await;
    assert_eq!(status, 201, "{placed}");
    let order_id = placed["orderId"].as_str().expect("orderId").to_owned();
    let email = eventually("the baker's email", Duration::from_secs(20), || async {
        shop.mail()
            .await
            .into_iter()
            .find(|m| m["orderId"] == order_id.as_str())
    })
    .await;
    let text = email["text"].as_str().unwrap_or_default();
    assert!(text.contains(&format!("http://{listen}/")), "{text}");
}

/// `cakeshop dev` with `args` (and `env`) on a fresh directory: it must refuse to start; what it said.
fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    let data = tempfile::tempdir().expect("temp dir");
    let store = data.path().join("store");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cakeshop"))
        .arg("dev")
        .args(args)
        .arg("--data-dir")
        .arg(&store)
        .arg("--config")
        .arg(project_file("serverless.yml"))
        .env_remove("TRUSTED_PROXIES")
        .envs(env.iter().copied())
        .env("CAKESHOP_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("cakeshop runs");
    let started = std::time::Instant::now();
    while matches!(child.try_wait(), Ok(None)) {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("{args:?} {env:?}: it started instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("its output");
    let said = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{args:?} {env:?}: it refuses to start");
    assert!(!store.exists(), "{args:?} {env:?}: nothing written");
    said
}

#[test]
fn malformed_addresses_and_trusted_proxies_stop_the_start_with_the_reason() {
    let said = refused(&["--port", "3000", "--listen", "127.0.0.1:0"], &[]);
    assert!(said.contains("cannot be used with"), "{said}");
    let said = refused(&["--listen", "shop.example:80"], &[]);
    assert!(said.contains("--listen"), "{said}");
    let said = refused(
        &["--port", "0", "--console-port", "0", "--trusted-proxy", "the-proxy"],
        &[],
    );
    assert!(
        said.contains("\"the-proxy\" is neither an IP address nor a CIDR block"),
        "{said}"
    );
    let said = refused(
        &["--console-port", "0", "--port", "0"],
        &[("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.5/8")],
    );
    assert!(
        said.contains("10.0.0.5/8 has bits set past its prefix; the block is 10.0.0.0/8"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_proxies_are_taken_from_the_flag_or_the_environment_and_shown() {
    let data = tempfile::tempdir().expect("temp dir");
    let config = project_file("serverless.yml");
    let shop = DevProcess::start_with(
        &data.path().join("flag"),
        &config,
        &["--trusted-proxy", "127.0.0.1", "--trusted-proxy", "10.0.0.0/8,fd00::/8"],
        &[("TRUSTED_PROXIES", "192.0.2.1")],
    );
    let shown = |shop: &DevProcess| {
        shop.banner
            .iter()
            .find(|line| line.trim_start().starts_with("trusted proxies"))
            .cloned()
            .unwrap_or_default()
    };
    assert!(
        shown(&shop).contains("127.0.0.1, 10.0.0.0/8, fd00::/8") && !shown(&shop).contains("192.0.2.1"),
        "the flag, which replaces the variable: {:?}",
        shop.banner
    );
    drop(shop);
    let shop = DevProcess::start_with(
        &data.path().join("env"),
        &config,
        &[],
        &[("TRUSTED_PROXIES", " 192.168.1.10 ,172.16.0.0/12")],
    );
    assert!(
        shown(&shop).contains("192.168.1.10, 172.16.0.0/12"),
        "{:?}",
        shop.banner
    );
}
