//! The console's forms and pages refuse what they cannot do, say why, and change nothing: a
//! post another site's page makes the browser send, an unknown partner, an impossible fault, a
//! redrive of a queue that is no dead-letter queue, an order id that is none, an email that is
//! not in the mailbox. Over real HTTP against a real `cakeshop dev`.

use crate::support::{DevProcess, project_file};
use serde_json::Value;

/// Posts a console form as a browser would, from a page of `site`; the status and the page.
async fn post_form(shop: &DevProcess, path: &str, form: &[(&str, &str)], site: &str) -> (u16, String) {
    let response = shop
        .http
        .post(format!("{}{path}", shop.console))
        .header("sec-fetch-site", site)
        .form(form)
        .send()
        .await
        .expect("the shop answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a page"))
}

async fn page(shop: &DevProcess, path: &str) -> (u16, String) {
    let response = shop
        .http
        .get(format!("{}{path}", shop.console))
        .send()
        .await
        .expect("the shop answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a page"))
}

async fn delivery_fault(shop: &DevProcess) -> Value {
    shop.console_get("/_local/partners/delivery/faults").await.1
}

#[tokio::test]
async fn bad_console_requests_are_refused_with_a_reason_and_change_nothing() {
    let data = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start(&data.path().join("store"), &project_file("serverless.yml"));
    let healthy = delivery_fault(&shop).await;
    let fault = [
        ("partner", "delivery"),
        ("failureRate", "1"),
        ("mode", "error"),
        ("status", "503"),
    ];

    let (status, body) = post_form(&shop, "/_local/console/fault", &fault, "cross-site").await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains(r#""code":"cross_site""#), "{body}");
    assert_eq!(delivery_fault(&shop).await, healthy, "a cross-site post set no fault");

    let unknown = [("partner", "bakery-supplies"), ("failureRate", "1"), ("mode", "error")];
    let (status, body) = post_form(&shop, "/_local/console/fault", &unknown, "same-origin").await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body.contains("no partner &quot;bakery-supplies&quot;; there are delivery, customer-service"),
        "{body}"
    );

    for (field, value, reason) in [
        ("failureRate", "lots", "failureRate must be a number from 0 to 1"),
        ("mode", "sulk", "mode must be error, timeout or acceptThenTimeout"),
        ("status", "200", "status"),
    ] {
        let mut form = fault.to_vec();
        form.retain(|(name, _)| *name != field);
        form.push((field, value));
        let (status, body) = post_form(&shop, "/_local/console/fault", &form, "same-origin").await;
        assert_eq!(status, 422, "{field}={value}: {body}");
        assert!(body.contains(reason), "{field}={value}: {body}");
        assert_eq!(delivery_fault(&shop).await, healthy, "{field}={value} set no fault");
    }

    let (status, body) = post_form(
        &shop,
        "/_local/console/redrive",
        &[("queue", "DeliveryQueue")],
        "same-origin",
    )
    .await;
    assert_eq!(status, 400, "{body}");

    let (status, body) = page(&shop, "/_local/orders/not%20an%20id").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("is not an order id"), "{body}");
    let (status, body) = page(&shop, "/_local/orders?orderId=").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = page(&shop, "/_local/mail/99").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = page(&shop, "/_local/functions/bake-bread").await;
    assert_eq!(status, 404, "{body}");

    // The same fault from the console's own page is set, and the console it leads back to says so.
    let (status, console) = post_form(&shop, "/_local/console/fault", &fault, "same-origin").await;
    assert_eq!(status, 200, "{console}");
    assert!(console.contains("Failing 100 % of calls (answering 503)"), "{console}");
    assert_eq!(delivery_fault(&shop).await["failureRate"], 1.0);
}
