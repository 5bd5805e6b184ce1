//! The local console in a real browser (headless Chromium, a laptop's width) against a real
//! `cakeshop dev`: a developer makes the delivery stand-in fail from the console, an order is
//! placed and marked ready, its delivery message is dead-lettered; they find the order, see
//! its journey with the failed partner calls and the receive counts, heal the partner, press
//! redrive and watch the delivery call arrive and the journey complete, the page following
//! along without a reload. Every page is free of Content-Security-Policy violations and of
//! serious accessibility violations; screenshots go to `media/` for README.
//!
//! As in partner_outage.rs, the delivery queue's visibility timeout is cut to seconds.

use crate::browser::Browser;
use crate::support::{DevProcess, delivery_queue, eventually, project_file, with_visibility_timeout};
use fantoccini::{Client, Locator};
use serde_json::Value;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(40);

async fn assert_page_clean(browser: &Browser, page: &str) {
    let noisy: Vec<Value> = browser
        .console()
        .await
        .into_iter()
        .filter(|entry| matches!(entry["level"].as_str(), Some("SEVERE" | "WARNING")))
        .collect();
    assert!(noisy.is_empty(), "{page} logged: {noisy:#?}");
    let violations = browser.accessibility_violations().await;
    assert!(violations.is_empty(), "{page}: {violations:#?}");
}

/// The text of the first element at `css`, if there is one.
async fn text_at(client: &Client, css: &str) -> Option<String> {
    let element = client.find(Locator::Css(css)).await.ok()?;
    element.text().await.ok()
}

/// Clicks the element at `css`, finding it again if the live page swapped it meanwhile.
async fn click(client: &Client, css: &str) {
    for _ in 0..5 {
        if let Ok(element) = client.find(Locator::Css(css)).await
            && element.click().await.is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("nothing to click at {css}");
}

/// Waits until the console's section `id` (after a form's redirect, or a live update) says `text`.
async fn section_says(client: &Client, id: &str, text: &str) {
    let css = format!("section[aria-labelledby={id}]");
    eventually(&format!("the {id} section saying {text:?}"), PATIENCE, || async {
        text_at(client, &css).await?.contains(text).then_some(())
    })
    .await;
}

async fn screenshot(browser: &Browser, name: &str) {
    let png = browser.client.screenshot().await.expect("a screenshot");
    let path = project_file("media").join(name);
    std::fs::write(&path, png).unwrap_or_else(|error| panic!("writing {}: {error}", path.display()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_lettered_delivery_is_found_in_the_console_redriven_and_its_journey_completes() {
    let data = tempfile::tempdir().expect("temp dir");
    let shipped = delivery_queue(&project_file("serverless.yml"));
    let config = with_visibility_timeout(data.path(), &shipped.name, 2);
    let queue = delivery_queue(&config);
    let shop = DevProcess::start(&data.path().join("store"), &config);
    let browser = Browser::start_sized(1280, 1100).await;
    let client = &browser.client;

    // The delivery company goes down, switched from the console.
    client
        .goto(&format!("{}/_local/", shop.console))
        .await
        .expect("the console");
    assert_page_clean(&browser, "the console").await;
    click(client, "form.fault button[type=submit]").await;
    section_says(client, "partners", "Failing 100 % of calls (answering 503)").await;

    let (status, placed) = shop.place("Console Customer").await;
    assert_eq!(status, 201, "{placed}");
    let order_id = placed["orderId"].as_str().expect("orderId").to_owned();
    let (status, order) = shop.fulfil(&order_id).await;
    assert_eq!(status, 200, "{order}");

    // The open console follows: the message shows up among the dead letters, no reload.
    let dead_letter = format!("section[aria-labelledby=dead-letters] a[href='/_local/orders/{order_id}']");
    eventually(
        "the delivery message dead-lettered, on the open console",
        PATIENCE,
        || async { client.find(Locator::Css(&dead_letter)).await.ok().map(|_| ()) },
    )
    .await;
    let dead = text_at(client, "section[aria-labelledby=dead-letters]")
        .await
        .unwrap_or_default();
    assert!(dead.contains(&queue.dead_letters), "{dead}");
    client
        .execute("window.scrollTo(0, 0)", vec![])
        .await
        .expect("scrolled to the top");
    screenshot(&browser, "console.png").await;

    // Found by its id, typed in as a person would.
    let search = client.find(Locator::Css("#order-id")).await.expect("the order search");
    search
        .send_keys(&format!("{order_id}\u{E007}"))
        .await
        .expect("typing the id and Enter");
    let journey_url = eventually("the journey page", PATIENCE, || async {
        let url = client.current_url().await.ok()?;
        (url.path() == format!("/_local/orders/{order_id}")).then_some(url)
    })
    .await;
    let summary = text_at(client, ".summary").await.unwrap_or_default();
    assert!(summary.contains("Stuck"), "{summary}");
    let trace_id = placed["traceId"].as_str().expect("the order's traceId");
    assert!(
        summary.contains(trace_id),
        "the journey names the order's trace: {summary}"
    );
    let journey = text_at(client, "ol.timeline").await.unwrap_or_default();
    let max = queue.max_receive_count;
    for expected in [
        "HTTP request".to_owned(),
        "POST /order".to_owned(),
        "Stream record".to_owned(),
        "order_placed".to_owned(),
        "notify-baker".to_owned(),
        "Email".to_owned(),
        "order_fulfilled".to_owned(),
        "request-delivery".to_owned(),
        "delivery answered 503 on purpose".to_owned(),
        "this order's message on receive 1".to_owned(),
        format!("this order's message on receive {max}"),
        format!("in {} after {max} receives from {}", queue.dead_letters, queue.name),
    ] {
        assert!(
            journey.contains(&expected),
            "the journey lacks {expected:?}:\n{journey}"
        );
    }
    assert!(!journey.contains("delivery received the call"), "{journey}");
    assert_page_clean(&browser, "the journey").await;

    // The partner is healed from the console, then the dead letter redriven from the journey.
    client
        .goto(&format!("{}/_local/#partners", shop.console))
        .await
        .expect("the console");
    click(
        client,
        "section[aria-labelledby=partners] form[action='/_local/console/heal'] button",
    )
    .await;
    section_says(client, "partners", "Healthy").await;
    client.goto(journey_url.as_str()).await.expect("the journey again");
    click(client, "ol.timeline form[action='/_local/console/redrive'] button").await;

    eventually("the journey complete, on the open page", PATIENCE, || async {
        let summary = text_at(client, ".summary").await?;
        summary.contains("Complete").then_some(())
    })
    .await;
    let journey = text_at(client, "ol.timeline").await.unwrap_or_default();
    assert!(journey.contains("delivery received the call"), "{journey}");
    assert!(
        journey.contains("delivery answered 503 on purpose"),
        "the failures stay in the journey"
    );
    assert!(!journey.contains("Dead letter"), "{journey}");
    let calls = shop.partner_calls("delivery").await;
    assert_eq!(
        calls
            .iter()
            .filter(|c| c["body"]["orderId"] == order_id.as_str())
            .count(),
        1,
        "delivered once: {calls:?}"
    );
    assert_page_clean(&browser, "the completed journey").await;
    screenshot(&browser, "journey.png").await;

    // The baker's email, as its recipient sees it, with its links to the local shop.
    click(client, "ol.timeline a[href^='/_local/mail/']").await;
    let frame = client
        .find(Locator::Css("iframe[sandbox]"))
        .await
        .expect("the email's HTML in a sandboxed frame");
    assert!(
        frame
            .attr("sandbox")
            .await
            .ok()
            .flatten()
            .is_some_and(|s| !s.contains("allow-scripts"))
    );
    let links = text_at(client, "main ul").await.unwrap_or_default();
    assert!(
        links.contains(&shop.base),
        "the email's links lead to the local shop: {links}"
    );
    assert_page_clean(&browser, "an email").await;

    // What the functions counted and timed, as the dashboard on AWS would graph it.
    client
        .goto(&format!("{}/_local/#metrics", shop.console))
        .await
        .expect("the console");
    let metrics = text_at(client, "section[aria-labelledby=metrics]")
        .await
        .unwrap_or_default();
    for expected in [
        "OrdersPlaced 1".to_owned(),
        "TimeToBakerNotified 1".to_owned(),
        "TimeToReady 1".to_owned(),
        format!("PartnerFailures (Partner delivery) {max}"),
    ] {
        assert!(metrics.contains(&expected), "the metrics lack {expected:?}:\n{metrics}");
    }
    browser.stop().await;
}
