//! `HttpPartner` against a real HTTP server on loopback: the shared partner contract, and how
//! each kind of answer (or silence) is judged.

use cakeshop_aws::{DEFAULT_PARTNER_TIMEOUT, HttpPartner};
use cakeshop_ports::contract::{self, PartnerProbe};
use cakeshop_ports::{PartnerCall, PartnerClient, PartnerError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A one-route HTTP/1.1 server that records each request and answers with a fixed status
/// (or, with `status: None`, never answers).
struct Partner {
    url: String,
    calls: Arc<Mutex<Vec<(PartnerCall, String)>>>,
}

impl Partner {
    async fn start(status: Option<u16>, body: &'static str) -> Partner {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/deliveries", listener.local_addr().expect("address"));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let recorded = calls.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let recorded = recorded.clone();
                tokio::spawn(serve(stream, status, body, recorded));
            }
        });
        Partner { url, calls }
    }

    fn content_types(&self) -> Vec<String> {
        let calls = self.calls.lock().expect("not poisoned");
        calls.iter().map(|(_, content_type)| content_type.clone()).collect()
    }
}

async fn serve(
    mut stream: TcpStream,
    status: Option<u16>,
    body: &'static str,
    calls: Arc<Mutex<Vec<(PartnerCall, String)>>>,
) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    let (head, content_length) = loop {
        let read = stream.read(&mut buffer).await.expect("read");
        assert!(read > 0, "the client closed before sending a whole request");
        request.extend_from_slice(&buffer[..read]);
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&request[..end]).to_string();
            let length = header(&head, "content-length")
                .and_then(|value| value.parse::<usize>().ok())
                .unwrap_or(0);
            request.drain(..end + 4);
            break (head, length);
        }
    };
    while request.len() < content_length {
        let read = stream.read(&mut buffer).await.expect("read");
        request.extend_from_slice(&buffer[..read]);
    }
    let call = PartnerCall {
        idempotency_key: header(&head, "idempotency-key").unwrap_or_default(),
        body: String::from_utf8_lossy(&request).to_string(),
    };
    let content_type = header(&head, "content-type").unwrap_or_default();
    calls.lock().expect("not poisoned").push((call, content_type));
    let Some(status) = status else {
        tokio::time::sleep(Duration::from_secs(30)).await;
        return;
    };
    let answer = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
    })
}

impl PartnerProbe for Partner {
    async fn calls(&self) -> Vec<PartnerCall> {
        let calls = self.calls.lock().expect("not poisoned");
        calls.iter().map(|(call, _)| call.clone()).collect()
    }
}

fn call() -> PartnerCall {
    PartnerCall {
        idempotency_key: "delivery:o-1".into(),
        body: r#"{"orderId":"o-1"}"#.into(),
    }
}

#[tokio::test]
async fn http_partner_keeps_the_partner_contract() {
    let partner = Partner::start(Some(202), "").await;
    let client = HttpPartner::new(&partner.url, DEFAULT_PARTNER_TIMEOUT).expect("client");
    contract::partner_client(&client, &partner).await;
    assert_eq!(partner.content_types(), ["application/json"]);
}

#[tokio::test]
async fn busy_partners_are_retried_and_refusals_are_not() {
    let busy = Partner::start(Some(503), "try later").await;
    let client = HttpPartner::new(&busy.url, DEFAULT_PARTNER_TIMEOUT).expect("client");
    let error = client.call(&call()).await.expect_err("503");
    assert!(matches!(error, PartnerError::Unavailable { status: 503 }));
    assert!(error.is_retryable());

    let refusing = Partner::start(Some(422), "unknown address").await;
    let client = HttpPartner::new(&refusing.url, DEFAULT_PARTNER_TIMEOUT).expect("client");
    let error = client.call(&call()).await.expect_err("422");
    assert!(matches!(&error, PartnerError::Rejected { status: 422, body } if body == "unknown address"));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn silence_and_closed_ports_are_unreachable() {
    let silent = Partner::start(None, "").await;
    let client = HttpPartner::new(&silent.url, Duration::from_millis(300)).expect("client");
    let error = client.call(&call()).await.expect_err("timed out");
    assert!(matches!(error, PartnerError::Unreachable(_)), "{error:?}");

    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/", closed.local_addr().expect("address"));
    drop(closed);
    let client = HttpPartner::new(&url, DEFAULT_PARTNER_TIMEOUT).expect("client");
    let error = client.call(&call()).await.expect_err("refused");
    assert!(matches!(error, PartnerError::Unreachable(_)), "{error:?}");
}
