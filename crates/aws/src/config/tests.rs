use super::*;
use std::collections::HashMap;

fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn every_missing_variable_is_named_at_once() {
    let error = FulfillOrderConfig::from_lookup(lookup(&[("ORDERS_TABLE", "orders")])).expect_err("incomplete");
    assert_eq!(
        error.to_string(),
        "missing environment variables: ORDER_STREAM, PUBLIC_BASE_URL, \
         SIGNING_SECRET (or SIGNING_SECRET_PARAMETER), BAKER_API_KEY (or BAKER_API_KEY_PARAMETER)"
    );
}

#[test]
fn one_missing_variable_reads_naturally_and_blank_counts_as_missing() {
    let error = RequestDeliveryConfig::from_lookup(lookup(&[("ORDERS_TABLE", "orders"), ("DELIVERY_QUEUE_URL", "  ")]))
        .expect_err("incomplete");
    assert_eq!(error.to_string(), "missing environment variable: DELIVERY_QUEUE_URL");
}

#[test]
fn secrets_come_directly_or_from_a_parameter() {
    let config = OrderQueriesConfig::from_lookup(lookup(&[
        ("ORDERS_TABLE", "orders"),
        ("SIGNING_SECRET", "s3cret"),
        ("BAKER_API_KEY_PARAMETER", "/cakeshop/baker-api-key"),
    ]))
    .expect("complete");
    assert_eq!(
        config,
        OrderQueriesConfig {
            orders_table: "orders".into(),
            signing_secret: Secret::Value("s3cret".into()),
            baker_api_key: Secret::SsmParameter {
                variable: "BAKER_API_KEY",
                parameter: "/cakeshop/baker-api-key".into(),
            },
        }
    );
    assert!(!format!("{config:?}").contains("s3cret"), "secrets are not printed");
}

#[test]
fn a_direct_secret_wins_over_its_parameter() {
    let config = PlaceOrderConfig::from_lookup(lookup(&[
        ("ORDERS_TABLE", "orders"),
        ("ORDER_STREAM", "order-events"),
        ("SIGNING_SECRET", "direct"),
        ("SIGNING_SECRET_PARAMETER", "/cakeshop/signing-secret"),
    ]))
    .expect("complete");
    assert_eq!(config.signing_secret, Secret::Value("direct".into()));
}

#[test]
fn each_function_reads_only_what_it_needs() {
    let everything = lookup(&[
        ("ORDERS_TABLE", "orders"),
        ("ORDER_STREAM", "order-events"),
        ("DELIVERY_QUEUE_URL", "https://sqs/delivery"),
        ("FEEDBACK_QUEUE_URL", "https://sqs/feedback"),
        ("SENDER_EMAIL", "orders@example.com"),
        ("BAKER_EMAIL", "baker@example.com"),
        ("DELIVERY_API_URL", "https://delivery.example.com"),
        ("CUSTOMER_SERVICE_API_URL", "https://care.example.com"),
        ("SIGNING_SECRET", "s"),
        ("BAKER_API_KEY", "k"),
        ("PUBLIC_BASE_URL", "https://shop.example.com"),
        ("RELAY_AFTER_SECONDS", "10"),
    ]);
    assert!(PlaceOrderConfig::from_lookup(&everything).is_ok());
    assert!(NotifyBakerConfig::from_lookup(&everything).is_ok());
    assert!(FulfillOrderConfig::from_lookup(&everything).is_ok());
    assert!(RequestDeliveryConfig::from_lookup(&everything).is_ok());
    assert!(NotifyDeliveryConfig::from_lookup(&everything).is_ok());
    assert!(ConfirmDeliveryConfig::from_lookup(&everything).is_ok());
    assert!(ForwardFeedbackConfig::from_lookup(&everything).is_ok());
    assert!(OrderQueriesConfig::from_lookup(&everything).is_ok());
    assert!(RelayEventsConfig::from_lookup(&everything).is_ok());
    let error = NotifyDeliveryConfig::from_lookup(lookup(&[])).expect_err("empty");
    assert_eq!(
        error.to_string(),
        "missing environment variables: ORDERS_TABLE, DELIVERY_API_URL"
    );
}

#[test]
fn the_relay_delay_is_a_whole_number_of_seconds_of_at_least_one() {
    let with_delay = |delay: &str| {
        RelayEventsConfig::from_lookup(lookup(&[
            ("ORDERS_TABLE", "orders"),
            ("ORDER_STREAM", "order-events"),
            ("RELAY_AFTER_SECONDS", delay),
        ]))
    };
    assert_eq!(with_delay(" 10 ").expect("valid").relay_after_seconds, 10);
    for bad in ["0", "-5", "1.5", "ten"] {
        let error = with_delay(bad).expect_err("invalid");
        assert_eq!(
            error.to_string(),
            format!("RELAY_AFTER_SECONDS must be a whole number of seconds, at least 1, not {bad:?}")
        );
    }
    let missing = RelayEventsConfig::from_lookup(lookup(&[("ORDERS_TABLE", "orders")])).expect_err("incomplete");
    assert_eq!(
        missing.to_string(),
        "missing environment variables: ORDER_STREAM, RELAY_AFTER_SECONDS"
    );
    let both = RelayEventsConfig::from_lookup(lookup(&[("ORDERS_TABLE", "orders"), ("RELAY_AFTER_SECONDS", "0")]))
        .expect_err("unusable");
    assert_eq!(
        both.to_string(),
        "RELAY_AFTER_SECONDS must be a whole number of seconds, at least 1, not \"0\"; \
         missing environment variable: ORDER_STREAM"
    );
}
