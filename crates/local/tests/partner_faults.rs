//! The partner stand-ins fail on purpose as their faults say, and the real partner client
//! (`HttpPartner`, with its retries) meets those failures as it would meet a real outage:
//! errors and silences are tried again with the same `Idempotency-Key`, a failed call is never
//! recorded as received, and a call the partner took but never answered comes back as a repeat.

use cakeshop_aws::{DEFAULT_PARTNER_TIMEOUT, HttpPartner};
use cakeshop_local::operator::operator_surface;
use cakeshop_local::partners::{FaultMode, PartnerFault, PartnerFaults, partner_stand_ins};
use cakeshop_local::serverless::read_serverless_yml;
use cakeshop_ports::{PartnerCall, PartnerClient, PartnerError};
use cakeshop_sqlite::{RecordedCall, Store};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The stand-ins on a port of their own behind the operator surface's guard, as `cakeshop dev`
/// serves them, with a handle on their faults.
struct StandIns {
    store: Store,
    faults: PartnerFaults,
    delivery_url: String,
    _dir: TempDir,
}

impl StandIns {
    async fn start() -> StandIns {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path(), 1).expect("the store");
        let faults = PartnerFaults::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let router = operator_surface(partner_stand_ins(store.clone(), faults.clone()), address);
        tokio::spawn(async move { axum::serve(listener, router).await });
        StandIns {
            store,
            faults,
            delivery_url: format!("http://{address}/_local/partners/delivery"),
            _dir: dir,
        }
    }

    fn delivery(&self, budget: Duration) -> HttpPartner {
        HttpPartner::new(&self.delivery_url, budget).expect("client")
    }

    fn received(&self) -> Vec<RecordedCall> {
        self.store.partner_calls("delivery").expect("calls")
    }

    /// Calls the delivery stand-in failed on purpose since its fault was set.
    fn injected(&self) -> u64 {
        self.faults.get("delivery").1
    }
}

fn call(key: &str) -> PartnerCall {
    PartnerCall {
        idempotency_key: key.to_owned(),
        body: format!(r#"{{"orderId":"{key}"}}"#),
    }
}

/// `RetryPolicy::DEFAULT`'s tries, the first included.
const TRIES: u64 = 3;

#[tokio::test]
async fn an_unavailable_partner_is_tried_again_and_records_nothing_until_it_is_back() {
    let stand_ins = StandIns::start().await;
    stand_ins.faults.set("delivery", PartnerFault::unavailable(1.0));
    let client = stand_ins.delivery(DEFAULT_PARTNER_TIMEOUT);

    let error = client.call(&call("o-1")).await.expect_err("the partner is down");
    assert!(matches!(error, PartnerError::Unavailable { status: 503 }), "{error:?}");
    assert_eq!(stand_ins.injected(), TRIES, "every try met the fault");
    assert!(stand_ins.received().is_empty(), "a failed call is not received");

    stand_ins.faults.clear("delivery");
    client.call(&call("o-1")).await.expect("the partner is back");
    let received = stand_ins.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        (received[0].idempotency_key.as_str(), received[0].repeat),
        ("o-1", false)
    );
}

#[tokio::test]
async fn a_partner_that_never_answers_is_given_up_on_within_the_calls_budget() {
    let stand_ins = StandIns::start().await;
    let fault = PartnerFault {
        mode: FaultMode::Timeout,
        ..PartnerFault::unavailable(1.0)
    };
    stand_ins.faults.set("delivery", fault);
    let budget = Duration::from_millis(1_200);

    let started = Instant::now();
    let error = stand_ins
        .delivery(budget)
        .call(&call("o-2"))
        .await
        .expect_err("silence");
    let took = started.elapsed();
    assert!(matches!(error, PartnerError::Unreachable(_)), "{error:?}");
    assert!(took <= budget + Duration::from_millis(300), "{took:?}");
    assert_eq!(stand_ins.injected(), TRIES, "every try was waited out, then retried");
    assert!(stand_ins.received().is_empty(), "a call never answered is not received");
}

#[tokio::test]
async fn a_partner_that_takes_a_call_but_never_answers_sees_the_retries_as_repeats() {
    let stand_ins = StandIns::start().await;
    let fault = PartnerFault {
        mode: FaultMode::AcceptThenTimeout,
        ..PartnerFault::unavailable(1.0)
    };
    stand_ins.faults.set("delivery", fault);
    let client = stand_ins.delivery(Duration::from_millis(1_200));

    let error = client.call(&call("o-3")).await.expect_err("no answer");
    assert!(matches!(error, PartnerError::Unreachable(_)), "{error:?}");
    let repeats: Vec<bool> = stand_ins.received().iter().map(|c| c.repeat).collect();
    let tries = usize::try_from(TRIES).expect("a few");
    let mut expected = vec![true; tries];
    expected[0] = false;
    assert_eq!(repeats, expected, "taken once, then the same key again");

    // Once it answers again, the redelivered message is a repeat too: acted on once in all.
    stand_ins.faults.clear("delivery");
    client.call(&call("o-3")).await.expect("answered");
    let received = stand_ins.received();
    assert!(received.iter().all(|c| c.idempotency_key == "o-3"));
    assert_eq!(received.iter().filter(|c| !c.repeat).count(), 1);
}

#[tokio::test]
async fn retries_ride_out_a_partner_that_fails_half_its_calls() {
    const CALLS: usize = 60;
    let stand_ins = StandIns::start().await;
    stand_ins.faults.set("delivery", PartnerFault::unavailable(0.5));
    let client = stand_ins.delivery(DEFAULT_PARTNER_TIMEOUT);

    let keys: Vec<String> = (0..CALLS).map(|n| format!("o-{n}")).collect();
    let outcomes = futures::future::join_all(keys.iter().map(|key| {
        let client = &client;
        async move { (key.clone(), client.call(&call(key)).await.is_ok()) }
    }))
    .await;
    let delivered: Vec<&String> = outcomes.iter().filter(|(_, ok)| *ok).map(|(key, _)| key).collect();

    // A call fails only if all three tries do (1 in 8): about 7 of 60, where without retries
    // about 30 would.
    assert!(
        CALLS - delivered.len() <= 18,
        "{} of {CALLS} failed",
        CALLS - delivered.len()
    );
    let received = stand_ins.received();
    let mut received_keys: Vec<&String> = received.iter().map(|c| &c.idempotency_key).collect();
    received_keys.sort();
    let mut delivered_keys = delivered.clone();
    delivered_keys.sort();
    assert_eq!(received_keys, delivered_keys, "each delivered call received once");
    assert!(received.iter().all(|c| !c.repeat));
    assert!(stand_ins.injected() >= (CALLS - delivered.len()) as u64 * TRIES);
}

#[test]
fn a_partner_call_with_all_its_retries_fits_inside_the_callers_lambda_timeout() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../../serverless.yml");
    let wiring = read_serverless_yml(std::path::Path::new(config)).expect("usable wiring");
    for name in ["notify-delivery", "forward-feedback"] {
        let function = wiring.function(name).expect("a partner-calling function");
        // The rest of the invocation reads and records the order: leave it a few seconds.
        let margin = Duration::from_secs(3);
        assert!(
            DEFAULT_PARTNER_TIMEOUT + margin <= Duration::from_secs(function.timeout_seconds),
            "{name} runs for {} s",
            function.timeout_seconds
        );
    }
}
