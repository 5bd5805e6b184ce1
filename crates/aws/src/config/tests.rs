use super::*;
use cakeshop_ports::Variable;
use cakeshop_ports::config::{
    BAKER_API_KEY, DELIVERY_API_URL, DELIVERY_QUEUE_URL, ORDER_STREAM, ORDERS_TABLE, PUBLIC_BASE_URL,
    RELAY_AFTER_SECONDS, SHOP_TIME_ZONE, SIGNING_SECRET,
};
use std::collections::HashMap;

fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

const FULFILL_ORDER: [Variable; 5] = [
    ORDERS_TABLE,
    ORDER_STREAM,
    PUBLIC_BASE_URL,
    SIGNING_SECRET,
    BAKER_API_KEY,
];
const RELAY: [Variable; 3] = [ORDERS_TABLE, ORDER_STREAM, RELAY_AFTER_SECONDS];

#[test]
fn every_missing_variable_is_named_at_once() {
    let error =
        FunctionEnv::from_lookup(&FULFILL_ORDER, lookup(&[("ORDERS_TABLE", "orders")])).expect_err("incomplete");
    assert_eq!(
        error.to_string(),
        "missing environment variables: ORDER_STREAM, PUBLIC_BASE_URL, \
         SIGNING_SECRET (or SIGNING_SECRET_PARAMETER), BAKER_API_KEY (or BAKER_API_KEY_PARAMETER)"
    );
}

#[test]
fn one_missing_variable_reads_naturally_and_blank_counts_as_missing() {
    let error = FunctionEnv::from_lookup(
        &[ORDERS_TABLE, DELIVERY_QUEUE_URL],
        lookup(&[("ORDERS_TABLE", "orders"), ("DELIVERY_QUEUE_URL", "  ")]),
    )
    .expect_err("incomplete");
    assert_eq!(error.to_string(), "missing environment variable: DELIVERY_QUEUE_URL");
}

#[test]
fn secrets_come_directly_or_from_a_parameter() {
    let env = FunctionEnv::from_lookup(
        &[ORDERS_TABLE, SIGNING_SECRET, BAKER_API_KEY],
        lookup(&[
            ("ORDERS_TABLE", "orders"),
            ("SIGNING_SECRET", "s3cret"),
            ("BAKER_API_KEY_PARAMETER", "/cakeshop/baker-api-key"),
        ]),
    )
    .expect("complete");
    assert_eq!(env.secret("SIGNING_SECRET"), Some(&Secret::Value("s3cret".into())));
    assert_eq!(
        env.secret("BAKER_API_KEY"),
        Some(&Secret::SsmParameter {
            variable: "BAKER_API_KEY",
            parameter: "/cakeshop/baker-api-key".into(),
        })
    );
    assert!(!format!("{env:?}").contains("s3cret"), "secrets are not printed");
}

#[test]
fn a_direct_secret_wins_over_its_parameter() {
    let env = FunctionEnv::from_lookup(
        &[SIGNING_SECRET],
        lookup(&[
            ("SIGNING_SECRET", "direct"),
            ("SIGNING_SECRET_PARAMETER", "/cakeshop/signing-secret"),
        ]),
    )
    .expect("complete");
    assert_eq!(env.secret("SIGNING_SECRET"), Some(&Secret::Value("direct".into())));
}

#[test]
fn only_the_declared_variables_are_read() {
    let env = FunctionEnv::from_lookup(
        &[ORDERS_TABLE, DELIVERY_API_URL],
        lookup(&[
            ("ORDERS_TABLE", "orders"),
            ("DELIVERY_API_URL", "https://delivery.example.com"),
            ("SENDER_EMAIL", "orders@example.com"),
        ]),
    )
    .expect("complete");
    let resolved = ResolvedEnv {
        values: env.values.clone(),
        seconds: env.seconds.clone(),
    };
    assert_eq!(
        resolved.text(DELIVERY_API_URL).expect("declared"),
        "https://delivery.example.com"
    );
    let undeclared = resolved
        .text(cakeshop_ports::config::SENDER_EMAIL)
        .expect_err("not declared");
    assert_eq!(
        undeclared.to_string(),
        "SENDER_EMAIL is not one of the variables this function reads"
    );
    let error = FunctionEnv::from_lookup(&[ORDERS_TABLE, DELIVERY_API_URL], lookup(&[])).expect_err("empty");
    assert_eq!(
        error.to_string(),
        "missing environment variables: ORDERS_TABLE, DELIVERY_API_URL"
    );
}

#[test]
fn the_relay_delay_is_a_whole_number_of_seconds_of_at_least_one() {
    let with_delay = |delay: &str| {
        FunctionEnv::from_lookup(
            &RELAY,
            lookup(&[
                ("ORDERS_TABLE", "orders"),
                ("ORDER_STREAM", "order-events"),
                ("RELAY_AFTER_SECONDS", delay),
            ]),
        )
    };
    assert_eq!(with_delay(" 10 ").expect("valid").seconds["RELAY_AFTER_SECONDS"], 10);
    for bad in ["0", "-5", "1.5", "ten"] {
        let error = with_delay(bad).expect_err("invalid");
        assert_eq!(
            error.to_string(),
            format!("RELAY_AFTER_SECONDS must be a whole number of seconds, at least 1, not {bad:?}")
        );
    }
    let missing = FunctionEnv::from_lookup(&RELAY, lookup(&[("ORDERS_TABLE", "orders")])).expect_err("incomplete");
    assert_eq!(
        missing.to_string(),
        "missing environment variables: ORDER_STREAM, RELAY_AFTER_SECONDS"
    );
    let both = FunctionEnv::from_lookup(
        &RELAY,
        lookup(&[("ORDERS_TABLE", "orders"), ("RELAY_AFTER_SECONDS", "0")]),
    )
    .expect_err("unusable");
    assert_eq!(
        both.to_string(),
        "RELAY_AFTER_SECONDS must be a whole number of seconds, at least 1, not \"0\"; \
         missing environment variable: ORDER_STREAM"
    );
}

#[test]
fn the_shop_time_zone_is_checked_when_read() {
    let env = FunctionEnv::from_lookup(
        &[ORDERS_TABLE, SHOP_TIME_ZONE],
        lookup(&[("ORDERS_TABLE", "orders"), ("SHOP_TIME_ZONE", "Europe/London")]),
    )
    .expect("complete");
    let resolved = env.without_secrets().expect("no secrets");
    assert_eq!(resolved.zone(SHOP_TIME_ZONE).expect("a zone").name(), "Europe/London");
    assert_eq!(resolved.text(SHOP_TIME_ZONE).expect("declared"), "Europe/London");
    assert!(matches!(resolved.zone(ORDERS_TABLE), Err(ConfigError::Invalid(_))));

    let error = FunctionEnv::from_lookup(
        &[SHOP_TIME_ZONE, ORDER_STREAM],
        lookup(&[("SHOP_TIME_ZONE", "Mars/Olympus")]),
    )
    .expect_err("not a zone");
    assert_eq!(
        error.to_string(),
        "SHOP_TIME_ZONE \"Mars/Olympus\" is not an IANA time zone such as Europe/London; \
         missing environment variable: ORDER_STREAM"
    );
    let missing = FunctionEnv::from_lookup(&[SHOP_TIME_ZONE], lookup(&[])).expect_err("missing");
    assert_eq!(missing.to_string(), "missing environment variable: SHOP_TIME_ZONE");
}
