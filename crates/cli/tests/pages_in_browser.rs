//! The pages in a real browser, headless Chromium at a phone's width, against a real
//! `cakeshop dev`: a customer orders on the storefront with the keyboard and mouse alone and
//! lands on the tracking page; a form with problems shows each beside its field; no page
//! raises a Content-Security-Policy violation, has a serious or critical accessibility
//! violation (axe-core) or is wider than the phone. Screenshots of the
//! pages go to `media/` for README.

mod browser;
mod support;

use browser::{Browser, PHONE_WIDTH};
use fantoccini::Locator;
use std::time::Duration;
use support::{DevProcess, eventually, project_file};

/// Fails on any console entry at warning level or above (a CSP violation is one), but the
/// network's note of the one refusal the page was expected to answer with.
async fn assert_console_clean(browser: &Browser, page: &str, refused_with: Option<u16>) {
    let expected = refused_with.map(|status| format!("the server responded with a status of {status}"));
    let noisy: Vec<_> = browser
        .console()
        .await
        .into_iter()
        .filter(|entry| matches!(entry["level"].as_str(), Some("SEVERE" | "WARNING")))
        .filter(|entry| {
            let message = entry["message"].as_str().unwrap_or_default();
            !(entry["source"] == "network" && expected.as_deref().is_some_and(|e| message.contains(e)))
        })
        .collect();
    assert!(noisy.is_empty(), "{page} logged: {noisy:#?}");
}

async fn assert_fits_a_phone(browser: &Browser, page: &str) {
    let (width, content) = browser.widths().await;
    assert!(width <= PHONE_WIDTH as u64, "{page}: the window is {width} px wide");
    assert_eq!(content, width, "{page} is wider than a {PHONE_WIDTH} px phone");
}

async fn assert_accessible(browser: &Browser, page: &str) {
    let violations = browser.accessibility_violations().await;
    assert!(violations.is_empty(), "{page}: {violations:#?}");
}

async fn click(client: &fantoccini::Client, css: &str) {
    let element = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("nothing to click at {css}"));
    element.click().await.expect("click");
}

async fn screenshot(browser: &Browser, name: &str) {
    let png = browser.client.screenshot().await.expect("a screenshot");
    let path = project_file("media").join(name);
    std::fs::write(&path, png).unwrap_or_else(|error| panic!("writing {}: {error}", path.display()));
}

#[tokio::test]
async fn a_customer_orders_on_the_storefront_and_lands_on_the_tracking_page() {
    let data = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start(data.path(), &project_file("serverless.yml"));
    let browser = Browser::start().await;
    let client = &browser.client;

    client.goto(&format!("{}/", shop.base)).await.expect("the storefront");
    assert_console_clean(&browser, "the storefront", None).await;
    assert_fits_a_phone(&browser, "the storefront").await;
    assert_accessible(&browser, "the storefront").await;
    screenshot(&browser, "storefront.png").await;

    // Nothing filled in: every problem beside its field, the page as it was.
    click(client, "button[type=submit]").await;
    let problem = client
        .wait()
        .for_element(Locator::Css("#name-error"))
        .await
        .expect("a problem beside the name");
    assert!(problem.text().await.unwrap_or_default().contains("name"));
    for field in ["productId", "address"] {
        client
            .find(Locator::Css(&format!("#{field}-error")))
            .await
            .unwrap_or_else(|_| panic!("no problem shown beside {field}"));
    }
    assert_console_clean(&browser, "the storefront with problems", Some(422)).await;
    assert_accessible(&browser, "the storefront with problems").await;

    // Filled in as a customer would.
    click(client, "input[name=productId][value='3']").await;
    let quantity = client.find(Locator::Id("quantity")).await.expect("quantity");
    quantity.clear().await.expect("clear");
    quantity.send_keys("2").await.expect("type");
    for (field, text) in [
        ("name", "Yana Bahdanovich"),
        ("address", "Inasaridze 2 deadlock 35"),
        ("notes", "Happy birthday, Nino!"),
    ] {
        client
            .find(Locator::Id(field))
            .await
            .expect("a field")
            .send_keys(text)
            .await
            .expect("type");
    }
    click(client, "button[type=submit]").await;
    let tracking = eventually("the tracking page", Duration::from_secs(10), || async {
        let url = client.current_url().await.ok()?;
        url.path().starts_with("/track/").then(|| url.to_string())
    })
    .await;

    // The journey moves on as the baker's email goes out behind the stream.
    eventually("the baker has the order", Duration::from_secs(20), || async {
        client.goto(&tracking).await.ok()?;
        let source = client.source().await.ok()?;
        source
            .contains(r#"<li class="done">The baker has your order"#)
            .then_some(())
    })
    .await;
    let page = client.source().await.expect("source");
    for text in [
        "Your order is in",
        "2 × Red velvet cake",
        "€78.00",
        "Happy birthday, Nino!",
    ] {
        assert!(page.contains(text), "{text} missing from the tracking page");
    }
    assert_console_clean(&browser, "the tracking page", None).await;
    assert_fits_a_phone(&browser, "the tracking page").await;
    assert_accessible(&browser, "the tracking page").await;
    screenshot(&browser, "tracking.png").await;
    browser.stop().await;
}
