//! The client's address a function is given (`requestContext.http.sourceIp`), through the real
//! Caddy running the project's recipe (`deploy/Caddyfile`) and without it: customers connecting
//! from 127.0.0.2 and 127.0.0.3 are told apart behind a trusted proxy, an `X-Forwarded-For` a
//! customer writes is not believed, and nothing a direct client says about forwarding is.
//!
//! The gateway is the one `cakeshop dev` serves its public surface with; the function behind it
//! records the events it is given. (Linux routes all of 127.0.0.0/8 to loopback.)

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_lambda_events::event::streams::KinesisEventResponse;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use cakeshop_local::api_gateway::{Gateway, TrustedProxies};
use cakeshop_local::lambda::{Invoke, InvokeError};
use cakeshop_local::serverless::Route;
use cakeshop_test_support::Caddy;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

const FUNCTION: &str = "who-is-it";

/// A function that keeps every HTTP event it is given.
#[derive(Clone, Default)]
struct Recorder {
    events: Arc<Mutex<Vec<ApiGatewayV2httpRequest>>>,
}

impl Recorder {
    fn last(&self) -> ApiGatewayV2httpRequest {
        let events = self.events.lock().expect("the events");
        events.last().cloned().expect("the function was invoked")
    }
}

fn not_http(function: &str, kind: &'static str) -> InvokeError {
    InvokeError::WrongTrigger {
        function: function.to_owned(),
        kind,
    }
}

impl Invoke for Recorder {
    async fn http(&self, _: &str, event: ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, InvokeError> {
        self.events.lock().expect("the events").push(event);
        let mut response = ApiGatewayV2httpResponse::default();
        response.status_code = 200;
        Ok(response)
    }

    async fn kinesis(&self, function: &str, _: KinesisEvent) -> Result<KinesisEventResponse, InvokeError> {
        Err(not_http(function, "Kinesis"))
    }

    async fn sqs(&self, function: &str, _: SqsEvent) -> Result<SqsBatchResponse, InvokeError> {
        Err(not_http(function, "SQS"))
    }

    async fn scheduled(
        &self,
        function: &str,
        _: EventBridgeEvent<serde_json::Value>,
    ) -> Result<serde_json::Value, InvokeError> {
        Err(not_http(function, "scheduled"))
    }
}

/// The gateway with one route, `GET /whoami`, on a free loopback port.
async fn serve(trusted: &[&str]) -> (Recorder, SocketAddr) {
    let recorder = Recorder::default();
    let route = Route {
        method: http::Method::GET,
        path: "/whoami".into(),
    };
    let proxies = TrustedProxies::new(trusted.iter().map(|p| p.parse().expect("a trusted proxy")).collect());
    let router = Gateway::new(vec![(route, FUNCTION.to_owned())], recorder.clone())
        .trusting(proxies)
        .router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(
        async move { axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await },
    );
    (recorder, address)
}

/// A client whose connections come from `from`.
fn client_at(from: &str) -> reqwest::Client {
    let from: IpAddr = from.parse().expect("an address");
    reqwest::Client::builder()
        .local_address(from)
        .build()
        .expect("a client")
}

/// What the function was told about a GET of `url` from `from`, with `headers`.
async fn seen(recorder: &Recorder, from: &str, url: &str, headers: &[(&str, &str)]) -> ApiGatewayV2httpRequest {
    let mut request = client_at(from).get(format!("{url}/whoami"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("an answer");
    assert_eq!(response.status(), 200, "from {from}");
    recorder.last()
}

fn source_ip(event: &ApiGatewayV2httpRequest) -> &str {
    event.request_context.http.source_ip.as_deref().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_customer_is_told_apart_and_cannot_name_another_address() {
    let (recorder, shop) = serve(&["127.0.0.1"]).await;
    let caddy = Caddy::in_front_of(shop);

    let first = seen(&recorder, "127.0.0.2", &caddy.url, &[]).await;
    let second = seen(&recorder, "127.0.0.3", &caddy.url, &[]).await;
    assert_eq!(source_ip(&first), "127.0.0.2", "{}", caddy.log());
    assert_eq!(source_ip(&second), "127.0.0.3");

    let spoofing = seen(&recorder, "127.0.0.2", &caddy.url, &[("x-forwarded-for", "1.2.3.4")]).await;
    assert_eq!(
        source_ip(&spoofing),
        "127.0.0.2",
        "a customer's own X-Forwarded-For is not believed"
    );
    // What the proxy says about the request reaches the function (the session cookie's Secure
    // follows X-Forwarded-Proto).
    assert_eq!(
        spoofing.headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()),
        Some("http")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_proxy_nobody_trusts_every_customer_is_the_proxy() {
    let (recorder, shop) = serve(&[]).await;
    let caddy = Caddy::in_front_of(shop);

    let first = seen(&recorder, "127.0.0.2", &caddy.url, &[]).await;
    let second = seen(&recorder, "127.0.0.3", &caddy.url, &[]).await;
    assert_eq!((source_ip(&first), source_ip(&second)), ("127.0.0.1", "127.0.0.1"));
}

#[tokio::test]
async fn a_direct_client_is_its_connections_address_whatever_it_says_about_forwarding() {
    let (recorder, shop) = serve(&["127.0.0.1"]).await;
    let url = format!("http://{shop}");

    let direct = seen(
        &recorder,
        "127.0.0.2",
        &url,
        &[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-proto", "https"),
            ("forwarded", "for=1.2.3.4;proto=https"),
        ],
    )
    .await;
    assert_eq!(source_ip(&direct), "127.0.0.2");
    for header in ["x-forwarded-for", "x-forwarded-proto", "forwarded"] {
        assert!(
            direct.headers.get(header).is_none(),
            "the function is not handed a direct client's {header}"
        );
    }

    // The trusted proxy's own address, with nothing forwarded, is itself the client.
    let local = seen(&recorder, "127.0.0.1", &url, &[]).await;
    assert_eq!(source_ip(&local), "127.0.0.1");
}
