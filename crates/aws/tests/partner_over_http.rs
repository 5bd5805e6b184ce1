//! `HttpPartner` against a real HTTP server on loopback: the shared partner contract, how each
//! kind of answer (or silence) is judged, and how busy or silent partners are retried.

use cakeshop_aws::partner::RetryPolicy;
use cakeshop_aws::{DEFAULT_PARTNER_TIMEOUT, HttpPartner};
use cakeshop_ports::contract::{self, PartnerProbe};
use cakeshop_ports::{PartnerCall, PartnerClient, PartnerError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with a request, once it has read and recorded it.
#[derive(Debug, Clone, Copy)]
enum Reply {
    Status(u16, &'static str),
    /// Holds the connection open and never answers.
    Silence,
}

/// One request as the server received it.
#[derive(Debug, Clone)]
struct Received {
    call: PartnerCall,
    content_type: String,
    at: Instant,
}

/// A one-route HTTP/1.1 server that records each request and answers the nth with the nth
/// reply of its script (the last one again once the script runs out).
struct Partner {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Partner {
    async fn start(script: Vec<Reply>) -> Partner {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/deliveries", listener.local_addr().expect("address"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let recorded = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, script.clone(), recorded.clone()));
            }
        });
        Partner { url, received }
    }

    async fn answering(status: u16, body: &'static str) -> Partner {
        Partner::start(vec![Reply::Status(status, body)]).await
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("not poisoned").clone()
    }

    fn content_types(&self) -> Vec<String> {
        self.received().into_iter().map(|r| r.content_type).collect()
    }

    /// The pauses between one request's arrival and the next's.
    fn gaps(&self) -> Vec<Duration> {
        self.received().windows(2).map(|pair| pair[1].at - pair[0].at).collect()
    }
}

async fn serve(mut stream: TcpStream, script: Vec<Reply>, received: Arc<Mutex<Vec<Received>>>) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    let (head, content_length) = loop {
        let Ok(read) = stream.read(&mut buffer).await else {
            return;
        };
        if read == 0 {
            return;
        }
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
    let reply = {
        let mut received = received.lock().expect("not poisoned");
        let reply = script[received.len().min(script.len() - 1)];
        received.push(Received {
            call,
            content_type,
            at: Instant::now(),
        });
        reply
    };
    match reply {
        Reply::Silence => tokio::time::sleep(Duration::from_secs(30)).await,
        Reply::Status(status, body) => {
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    }
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
    })
}

impl PartnerProbe for Partner {
    async fn calls(&self) -> Vec<PartnerCall> {
        self.received().into_iter().map(|r| r.call).collect()
    }
}

fn call() -> PartnerCall {
    PartnerCall {
        idempotency_key: "delivery:o-1".into(),
        body: r#"{"orderId":"o-1"}"#.into(),
    }
}

/// Every request the partner received was this call, with its key, unchanged.
fn assert_all_were(partner: &Partner, expected: &PartnerCall, count: usize) {
    let calls: Vec<PartnerCall> = partner.received().into_iter().map(|r| r.call).collect();
    assert_eq!(calls, vec![expected.clone(); count]);
}

/// `RetryPolicy::DEFAULT`'s tries, the first included.
const TRIES: usize = 3;

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

#[tokio::test]
async fn http_partner_keeps_the_partner_contract() {
    let partner = Partner::answering(202, "").await;
    let client = HttpPartner::new(&partner.url, DEFAULT_PARTNER_TIMEOUT).expect("client");
    contract::partner_client(&client, &partner).await;
    assert_eq!(partner.content_types(), ["application/json"]);
}

#[tokio::test]
async fn a_busy_partner_is_tried_again_with_growing_pauses_and_the_same_key() {
    let partner = Partner::start(vec![
        Reply::Status(503, "busy"),
        Reply::Status(429, "slow down"),
        Reply::Status(202, ""),
    ])
    .await;
    let client = HttpPartner::new(&partner.url, DEFAULT_PARTNER_TIMEOUT).expect("client");
    client.call(&call()).await.expect("the third try goes through");
    assert_all_were(&partner, &call(), 3);
    // RetryPolicy::DEFAULT: 100–200 ms before the second try, 200–400 ms before the third.
    let gaps = partner.gaps();
    assert!(gaps[0] >= ms(100) && gaps[0] < ms(350), "{gaps:?}");
    assert!(gaps[1] >= ms(200) && gaps[1] < ms(550), "{gaps:?}");
}

#[tokio::test]
async fn a_partner_that_stays_busy_gets_exactly_the_policys_tries() {
    for status in [500, 503, 408, 429] {
        let busy = Partner::answering(status, "try later").await;
        let client = HttpPartner::new(&busy.url, DEFAULT_PARTNER_TIMEOUT).expect("client");
        let error = client.call(&call()).await.expect_err("busy throughout");
        assert!(
            matches!(error, PartnerError::Unavailable { status: s } if s == status),
            "{error:?}"
        );
        assert!(error.is_retryable(), "the queue tries again later");
        assert_all_were(&busy, &call(), TRIES);
    }

    let busy = Partner::answering(503, "try later").await;
    let client = HttpPartner::new(&busy.url, DEFAULT_PARTNER_TIMEOUT)
        .expect("client")
        .with_retry(RetryPolicy::NONE);
    client.call(&call()).await.expect_err("busy");
    assert_all_were(&busy, &call(), 1);
}

#[tokio::test]
async fn refusals_are_final_and_not_tried_again() {
    let refusing = Partner::answering(422, "unknown address").await;
    let client = HttpPartner::new(&refusing.url, DEFAULT_PARTNER_TIMEOUT).expect("client");
    let error = client.call(&call()).await.expect_err("422");
    assert!(matches!(&error, PartnerError::Rejected { status: 422, body } if body == "unknown address"));
    assert!(!error.is_retryable());
    assert_all_were(&refusing, &call(), 1);
}

#[tokio::test]
async fn a_silent_partner_gets_every_try_within_the_calls_budget() {
    let silent = Partner::start(vec![Reply::Silence]).await;
    let budget = ms(1_500);
    let client = HttpPartner::new(&silent.url, budget).expect("client");
    let started = Instant::now();
    let error = client.call(&call()).await.expect_err("timed out");
    let took = started.elapsed();
    assert!(matches!(error, PartnerError::Unreachable(_)), "{error:?}");
    assert!(error.is_retryable());
    assert_all_were(&silent, &call(), TRIES);
    // Each try waited its share ((1.5 s − 0.6 s of pauses at most) / 3 = 300 ms) and no more.
    assert!(took >= ms(3 * 300 + 100 + 200), "{took:?}");
    assert!(took <= budget + ms(250), "{took:?}");
}

#[tokio::test]
async fn a_partner_that_answers_only_after_a_silence_is_reached_on_a_later_try() {
    let flaky = Partner::start(vec![Reply::Silence, Reply::Status(202, "")]).await;
    let client = HttpPartner::new(&flaky.url, ms(1_500)).expect("client");
    client.call(&call()).await.expect("the second try is answered");
    assert_all_were(&flaky, &call(), 2);
}

#[tokio::test]
async fn a_closed_port_is_unreachable_and_tried_again() {
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/", closed.local_addr().expect("address"));
    drop(closed);
    let client = HttpPartner::new(&url, DEFAULT_PARTNER_TIMEOUT).expect("client");
    let started = Instant::now();
    let error = client.call(&call()).await.expect_err("refused");
    assert!(matches!(error, PartnerError::Unreachable(_)), "{error:?}");
    // Nobody listens to count the tries; the two pauses between three tries show they happened.
    assert!(started.elapsed() >= ms(100 + 200), "{:?}", started.elapsed());
}
