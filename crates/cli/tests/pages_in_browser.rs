//! The pages in a real browser, headless Chromium at a phone's width, against a real
//! `cakeshop dev`: a customer orders on the storefront with the keyboard and mouse alone and
//! lands on the tracking page; a form with problems shows each beside its field; no page
//! raises a Content-Security-Policy violation, has a serious or critical accessibility
//! violation (axe-core) or is wider than the phone. Screenshots of the
//! pages go to `media/` for README.

use crate::browser::{Browser, PHONE_WIDTH};
use crate::support::{DevProcess, eventually, project_file};
use fantoccini::Locator;
use std::time::Duration;

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
    let problem = appears(client, "a problem beside the name", "#name-error").await;
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

/// The element at `css`, waited for while the page keeps itself current or a form's answer
/// loads (a look in the middle of a navigation is aborted by it, and tried again).
async fn appears(client: &fantoccini::Client, what: &str, css: &str) -> fantoccini::elements::Element {
    eventually(what, Duration::from_secs(30), || async {
        client.find(Locator::Css(css)).await.ok()
    })
    .await
}

async fn type_into(client: &fantoccini::Client, id: &str, text: &str) {
    let field = client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("no field #{id}"));
    field.send_keys(text).await.expect("type");
}

/// Waits until the page's source contains `text`, without reloading it.
async fn shows(client: &fantoccini::Client, what: &str, text: &str) {
    let started = std::time::Instant::now();
    loop {
        let source = client.source().await.unwrap_or_default();
        if source.contains(text) {
            return;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let url = client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
            panic!("timed out after 30 s waiting for {what}: {text:?} is not on {url}:\n{source}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_whole_order_through_pages_alone_from_storefront_to_board_to_feedback() {
    let data = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start(data.path(), &project_file("serverless.yml"));

    // The baker opens the board: it refuses without sign-in, then takes the baker key.
    let baker = Browser::start().await;
    let board = &baker.client;
    board.goto(&format!("{}/baker", shop.base)).await.expect("the board");
    assert!(board.source().await.expect("source").contains("Sign in to the board"));
    assert!(
        board.find(Locator::Css(".orders")).await.is_err(),
        "no orders before signing in"
    );
    assert_accessible(&baker, "the sign-in page").await;
    type_into(board, "key", "not the key").await;
    click(board, "button[type=submit]").await;
    shows(board, "the wrong key refused", "That is not the baker key").await;
    assert_console_clean(&baker, "the refused sign-in", Some(401)).await;
    type_into(board, "key", &shop.baker_key).await;
    click(board, "button[type=submit]").await;
    shows(board, "the board", "No new orders").await;
    assert_console_clean(&baker, "the empty board", None).await;

    // The customer orders on the storefront, with an email address.
    let customer = Browser::start().await;
    let page = &customer.client;
    page.goto(&format!("{}/", shop.base)).await.expect("the storefront");
    click(page, "input[name=productId][value='1']").await;
    type_into(page, "name", "Ada Lovelace").await;
    type_into(page, "address", "12 Analytical Street, London").await;
    type_into(page, "email", "ada@example.com").await;
    click(page, "button[type=submit]").await;
    let order_id = eventually("the tracking page", Duration::from_secs(10), || async {
        let url = page.current_url().await.ok()?;
        url.path().strip_prefix("/track/").map(str::to_owned)
    })
    .await;

    // It appears on the open board without a reload, highlighted as new.
    let card = appears(board, "the new order on the board", &format!("#order-{order_id}.new")).await;
    assert!(card.text().await.unwrap_or_default().contains("Ada Lovelace"));
    let title = board.title().await.expect("title");
    assert!(title.starts_with("(1 new)"), "the tab says so: {title}");
    assert_console_clean(&baker, "the board with a new order", None).await;
    assert_fits_a_phone(&baker, "the board").await;
    assert_accessible(&baker, "the board").await;
    screenshot(&baker, "board.png").await;
    click(board, &format!("#order-{order_id} form.inline button")).await;
    // Ready, then handed to the courier: the open board follows.
    shows(
        board,
        "the order on its way",
        r#"<span class="badge">On its way</span>"#,
    )
    .await;

    // The delivery company is called.
    eventually("the delivery call", Duration::from_secs(30), || async {
        let calls = shop.partner_calls("delivery").await;
        calls
            .iter()
            .any(|call| call.to_string().contains(&order_id))
            .then_some(())
    })
    .await;

    // The customer follows the link in their confirmation email and sees it on its way.
    let link = eventually("the customer's confirmation", Duration::from_secs(20), || async {
        let mail = shop.mail().await;
        let confirmation = mail.iter().find(|email| {
            email["to"] == "ada@example.com" && email["subject"].as_str().is_some_and(|s| s.contains("your order for"))
        })?;
        let text = confirmation["text"].as_str()?;
        let start = text.find(&format!("{}/track/", shop.base))?;
        text[start..].split_whitespace().next().map(str::to_owned)
    })
    .await;
    page.goto(&link).await.expect("the tracking link");
    shows(page, "on its way", "Your cake is on its way").await;
    assert_accessible(&customer, "the tracking page, on its way").await;
    click(page, "input[name=rating][value='5']").await;
    type_into(page, "feedback", "Rich, moist and gone in ten minutes.").await;
    click(page, "form.action button[type=submit]").await;
    shows(page, "the cake delivered", "Thank you! We hope you enjoy your cake.").await;
    assert_console_clean(&customer, "the tracking page after delivery", None).await;

    // Customer service receives the rating and feedback.
    eventually("the feedback at customer service", Duration::from_secs(30), || async {
        let calls = shop.partner_calls("customer-service").await;
        calls
            .iter()
            .any(|call| call.to_string().contains("gone in ten minutes"))
            .then_some(())
    })
    .await;

    // A form another site makes the signed-in baker's browser send is refused.
    let evil = format!(
        "data:text/html,<form method=post action='{}/baker/shop'><input name=open value=false>\
         <button>Win a cake</button></form>",
        shop.base
    );
    board.goto(&evil).await.expect("the other site");
    click(board, "button").await;
    shows(board, "the cross-site post refused", "That did not work").await;
    let (_, status) = shop.get("/shop", None).await;
    assert_eq!(status["open"], true, "the shop is still open");
    customer.stop().await;
    baker.stop().await;
}

#[tokio::test]
async fn a_customer_cancels_from_the_tracking_page() {
    let data = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start(data.path(), &project_file("serverless.yml"));
    let (status, placed) = shop.place("Grace Hopper").await;
    assert_eq!(status, 201, "{placed}");
    let order_id = placed["orderId"].as_str().expect("an id");
    let token = placed["customerToken"].as_str().expect("a token");
    let browser = Browser::start().await;
    let client = &browser.client;
    client
        .goto(&format!("{}/track/{order_id}?t={token}", shop.base))
        .await
        .expect("the tracking page");
    type_into(client, "reason", "Wrong day, sorry").await;
    click(client, "form.action button[type=submit]").await;
    shows(client, "the order cancelled", "This order was cancelled").await;
    assert!(
        client
            .source()
            .await
            .expect("source")
            .contains("Cancelled by you: Wrong day, sorry")
    );
    assert!(
        client.find(Locator::Css("form.action")).await.is_err(),
        "nothing more to cancel"
    );
    assert_console_clean(&browser, "the cancelled order", None).await;
    assert_accessible(&browser, "the cancelled order").await;
    let (_, order) = shop.get(&format!("/order/{order_id}"), Some(&shop.baker_key)).await;
    assert_eq!(order["status"], "cancelled");
    browser.stop().await;
}
