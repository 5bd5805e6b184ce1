use super::*;

fn project_file() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../serverless.yml");
    std::fs::read_to_string(path).expect("the project's serverless.yml")
}

fn problem(text: &str) -> String {
    match parse(text) {
        Err(error) => error.to_string(),
        Ok(_) => panic!("expected the file to be refused"),
    }
}

#[test]
fn reads_the_projects_own_wiring() {
    let wiring = parse(&project_file()).expect("usable");
    let notify_baker = wiring.function("notify-baker").expect("notify-baker");
    let Some(Trigger::Stream(mapping)) = &notify_baker.trigger else {
        panic!("a stream trigger")
    };
    assert!(mapping.report_batch_item_failures && mapping.bisect_on_error);
    assert!(mapping.maximum_retry_attempts.is_some() && mapping.on_failure_queue.is_some());
    assert_eq!(mapping.filters.len(), 1);
    assert!(mapping.filters[0].matches("k", br#"{"type":"order_placed"}"#));
    assert!(mapping.filters[0].matches("k", br#"{"type":"order_cancelled"}"#));
    assert!(!mapping.filters[0].matches("k", br#"{"type":"order_fulfilled"}"#));

    let notify_delivery = wiring.function("notify-delivery").expect("notify-delivery");
    let Some(Trigger::Queue(queue)) = &notify_delivery.trigger else {
        panic!("a queue trigger")
    };
    let spec = wiring.queue(&queue.queue).expect("the queue");
    assert!(spec.redrive.is_some());

    let routes: Vec<String> = wiring
        .functions
        .iter()
        .flat_map(|f| f.routes.iter().map(Route::route_key))
        .collect();
    for route in [
        "POST /order",
        "GET /order/{orderId}",
        "GET /products",
        "POST /order/fulfilled",
        "POST /order/delivered",
    ] {
        assert!(routes.iter().any(|r| r == route), "{route} in {routes:?}");
    }
}

#[test]
fn accepts_short_form_tags() {
    let text = project_file().replace(
        "arn:\n            Fn::GetAtt: [DeliveryQueue, Arn]",
        "arn: !GetAtt DeliveryQueue.Arn",
    );
    assert!(text.contains("!GetAtt DeliveryQueue.Arn"), "the replacement applied");
    let wiring = parse(&text).expect("usable");
    let Some(Trigger::Queue(queue)) = &wiring.function("notify-delivery").expect("f").trigger else {
        panic!()
    };
    assert_eq!(queue.queue, "DeliveryQueue");
}

#[test]
fn names_the_function_and_field_it_cannot_use() {
    let text = project_file().replacen("batchSize: 50", "batchSize: lots", 1);
    let message = problem(&text);
    assert!(
        message.contains("function notify-baker") && message.contains("batchSize"),
        "{message}"
    );

    let text = project_file().replacen(
        "type: [order_placed, order_cancelled]",
        "type: [{numeric: ['>', 1]}]",
        1,
    );
    let message = problem(&text);
    assert!(
        message.contains("filterPatterns[0]") && message.contains("unsupported matcher"),
        "{message}"
    );

    let text = project_file().replacen(
        "Fn::GetAtt: [DeliveryQueue, Arn]",
        "arn:aws:sqs:eu-west-1:1:elsewhere",
        1,
    );
    let message = problem(&text);
    assert!(
        message.contains("function notify-delivery") && message.contains("arn"),
        "{message}"
    );

    assert!(problem("functions: [").contains("not valid YAML"));
}

#[test]
fn schedules_are_read_as_rates() {
    use std::time::Duration;
    for (text, seconds) in [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(2 hours)", 7_200),
        ("rate(1 day)", 86_400),
    ] {
        assert_eq!(
            parse_rate(text),
            Some(Schedule {
                every: Duration::from_secs(seconds)
            }),
            "{text}"
        );
    }
    for text in [
        "rate(0 minutes)",
        "rate(1 fortnight)",
        "cron(0 12 * * ? *)",
        "rate(minute)",
        "1 minute",
    ] {
        assert_eq!(parse_rate(text), None, "{text}");
    }
    let object = serde_json::json!({ "rate": ["rate(10 minutes)"], "enabled": true });
    assert_eq!(
        read_schedule(&object, "here").expect("usable").every,
        Duration::from_secs(600)
    );
    assert!(read_schedule(&serde_json::json!("cron(0 12 * * ? *)"), "here").is_err());
}
