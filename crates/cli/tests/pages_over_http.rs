//! The storefront and the tracking page over real HTTP against a real `cakeshop dev`: a form
//! posted as a browser posts it places the order, and its tracking page follows the order's
//! journey as the functions behind the stream move it on.

use crate::support::{DevProcess, eventually, project_file};
use std::time::Duration;

/// The value of the hidden `formKey` input of a storefront page.
fn form_key(page: &str) -> String {
    let marker = r#"name="formKey" value=""#;
    let start = page.find(marker).map(|at| at + marker.len()).expect("a form key");
    page[start..].split('"').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_customer_orders_on_the_storefront_and_follows_the_order_on_its_tracking_page() {
    let data = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start(data.path(), &project_file("serverless.yml"));
    // As a browser does not, so that the 303 itself is seen.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    let storefront = browser.get(format!("{}/", shop.base)).send().await.expect("answer");
    assert_eq!(storefront.status(), 200);
    let headers = storefront.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/html")
    );
    let policy = headers["content-security-policy"].to_str().unwrap_or_default();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    let page = storefront.text().await.expect("page");
    assert!(page.contains("Chocolate fudge cake"), "{page}");

    let stylesheet = browser
        .get(format!("{}/assets/shop.css", shop.base))
        .send()
        .await
        .expect("answer");
    assert_eq!(stylesheet.status(), 200);
    assert!(
        stylesheet.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/css")
    );

    let fields = [
        ("formKey", form_key(&page)),
        ("productId", "1".into()),
        ("quantity", "3".into()),
        ("deliveryDate", String::new()),
        ("name", "Yana Bahdanovich".into()),
        ("address", "Inasaridze 2 deadlock 35".into()),
        ("email", String::new()),
        ("notes", "Happy birthday!".into()),
    ];
    let placed = browser
        .post(format!("{}/order", shop.base))
        .form(&fields)
        .send()
        .await
        .expect("answer");
    assert_eq!(placed.status(), 303);
    let location = placed.headers()["location"].to_str().unwrap_or_default().to_owned();
    assert!(location.starts_with("/track/"), "{location}");

    // The baker's email goes out behind the stream; the page shows it once it has.
    let tracking = format!("{}{location}", shop.base);
    let page = eventually(
        "the tracking page shows the baker has the order",
        Duration::from_secs(20),
        || {
            let (browser, tracking) = (browser.clone(), tracking.clone());
            async move {
                let response = browser.get(&tracking).send().await.ok()?;
                let page = response.text().await.ok()?;
                page.contains(r#"<li class="done">The baker has your order"#)
                    .then_some(page)
            }
        },
    )
    .await;
    for text in [
        "Your order is in",
        "3 × Chocolate fudge cake",
        "€103.50",
        "Happy birthday!",
    ] {
        assert!(page.contains(text), "{text} missing from {page}");
    }
    assert_eq!(shop.mail().await.len(), 1, "one email to the baker");

    let (path, _) = location.split_once('?').expect("a token");
    let forged = browser
        .get(format!("{}{path}?t=forged", shop.base))
        .send()
        .await
        .expect("answer");
    assert_eq!(forged.status(), 403);
}
