//! Real email: with `SMTP_URL`, `cakeshop dev` sends every email it keeps in its mailbox
//! through that server too, once each — through STARTTLS or TLS with the user's credentials,
//! an outage of the server (retried), a permanent refusal (not retried) and a restart — under
//! a Message-ID made from the mailbox's.

use crate::support::{DevProcess, eventually, project_file};
use cakeshop_test_support::free_port;
use cakeshop_test_support::smtp_server::{
    REFUSED_DOMAIN, SMTP_USER, SmtpSecurity, SmtpServer, TestCertificate, smtp_url,
};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Retries back off 1 s, 2 s, 4 s…: an email owed since the shop started reaches a server that
/// comes up a few seconds later within this.
const ARRIVAL: Duration = Duration::from_secs(60);

fn shop_sending_to(data_dir: &Path, port: u16, security: SmtpSecurity, certificate: &TestCertificate) -> DevProcess {
    let url = smtp_url(port, security);
    let ca_file = certificate.cert_file.to_string_lossy().into_owned();
    DevProcess::start_with(
        data_dir,
        &project_file("serverless.yml"),
        &[],
        &[("SMTP_URL", url.as_str()), ("SMTP_CA_FILE", ca_file.as_str())],
    )
}

async fn place_for(shop: &DevProcess, name: &str, email: Option<&str>) -> String {
    let mut order = json!({ "name": name, "address": "1 Test Lane", "productId": 2, "quantity": 1 });
    if let Some(email) = email {
        order["email"] = json!(email);
    }
    let (status, placed) = shop.post("/order", None, &order).await;
    assert_eq!(status, 201, "{placed}");
    placed["orderId"].as_str().expect("an order id").to_owned()
}

/// The mailbox's emails, once it holds at least `count`.
async fn kept(shop: &DevProcess, count: usize) -> Vec<Value> {
    eventually(&format!("{count} emails in the mailbox"), ARRIVAL, || async {
        let mail = shop.mail().await;
        (mail.len() >= count).then_some(mail)
    })
    .await
}

async fn taken(server: &SmtpServer, count: usize) -> Vec<Value> {
    eventually(&format!("{count} emails at the mail server"), ARRIVAL, || async {
        let taken = server.taken();
        (taken.len() >= count).then_some(taken)
    })
    .await
}

fn lines(text: &Value) -> String {
    text.as_str()
        .unwrap_or_default()
        .replace("\r\n", "\n")
        .trim_end()
        .to_owned()
}

/// Each email of the mailbox not addressed to the refused domain was taken exactly once, as
/// it was kept, over an encrypted session opened by the shop's user.
fn each_taken_once_as_kept(kept: &[Value], taken: &[Value]) {
    for email in kept {
        let to = email["to"].as_str().unwrap_or_default();
        if to.ends_with(&format!("@{REFUSED_DOMAIN}")) {
            continue;
        }
        let id = email["messageId"].as_str().expect("a message id");
        let copies: Vec<&Value> = taken
            .iter()
            .filter(|t| {
                t["messageId"]
                    .as_str()
                    .is_some_and(|m| m.starts_with(&format!("<{id}@")))
            })
            .collect();
        assert_eq!(
            copies.len(),
            1,
            "email {id} to {to} taken once, not {}: {taken:#?}",
            copies.len()
        );
        let copy = copies[0];
        assert_eq!(copy["rcptTos"], json!([to]), "{copy}");
        assert_eq!(copy["subject"], email["subject"], "{copy}");
        assert_eq!(lines(&copy["text"]), lines(&email["text"]), "the text part as kept");
        assert_eq!(lines(&copy["html"]), lines(&email["html"]), "the HTML part as kept");
        assert_eq!(copy["encrypted"], json!(true), "{copy}");
        assert_eq!(copy["user"], json!(SMTP_USER), "{copy}");
    }
    assert_eq!(
        taken.len(),
        kept.iter()
            .filter(|e| !e["to"].as_str().unwrap_or_default().ends_with(REFUSED_DOMAIN))
            .count(),
        "nothing else was taken"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_email_kept_reaches_the_server_once_through_an_outage_a_refusal_and_a_restart() {
    let certificate = TestCertificate::new();
    let port = free_port();
    let data = tempfile::tempdir().expect("temp dir");
    let mut shop = shop_sending_to(data.path(), port, SmtpSecurity::StartTls, &certificate);
    shop.make_room().await;

    // The mail server is down: the order is taken and its emails kept, and owed to it.
    place_for(&shop, "Ada", Some("ada@example.com")).await;
    let before_the_server = kept(&shop, 2).await;

    // It comes up: what was owed arrives.
    let server = SmtpServer::start(port, SmtpSecurity::StartTls, &certificate);
    let arrived = taken(&server, before_the_server.len()).await;
    each_taken_once_as_kept(&before_the_server, &arrived);

    // A recipient the server refuses for good: the baker still hears of the order.
    place_for(&shop, "Bob", Some(&format!("bob@{REFUSED_DOMAIN}"))).await;
    let with_the_refused = kept(&shop, before_the_server.len() + 2).await;
    taken(&server, arrived.len() + 1).await;
    eventually("the refusal", ARRIVAL, || async {
        (!server.refused().is_empty()).then_some(())
    })
    .await;

    // Stopped and started again on the same store, the shop sends nothing a second time.
    shop.terminate();
    assert!(
        shop.exit_within(Duration::from_secs(30)).is_some_and(|s| s.success()),
        "a clean stop"
    );
    let shop = shop_sending_to(data.path(), port, SmtpSecurity::StartTls, &certificate);
    place_for(&shop, "Cy", None).await;
    let all_kept = kept(&shop, with_the_refused.len() + 1).await;
    let all_taken = taken(&server, all_kept.len() - 1).await;
    each_taken_once_as_kept(&all_kept, &all_taken);
    assert_eq!(
        server.refused(),
        [format!("bob@{REFUSED_DOMAIN}")],
        "a refusal for good is not tried again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtps_speaks_tls_from_the_first_byte() {
    let certificate = TestCertificate::new();
    let port = free_port();
    let server = SmtpServer::start(port, SmtpSecurity::Tls, &certificate);
    let data = tempfile::tempdir().expect("temp dir");
    let shop = shop_sending_to(data.path(), port, SmtpSecurity::Tls, &certificate);
    shop.make_room().await;
    let order_id = place_for(&shop, "Ada", None).await;
    let kept = kept(&shop, 1).await;
    let taken = taken(&server, 1).await;
    each_taken_once_as_kept(&kept, &taken);
    assert!(
        taken[0]["subject"].as_str().is_some_and(|s| s.contains(&order_id)),
        "{taken:?}"
    );
}

#[test]
fn an_unusable_smtp_url_stops_the_start_and_writes_nothing() {
    let data = tempfile::tempdir().expect("temp dir");
    let data_dir = data.path().join("shop");
    for (url, reason) in [
        ("smtp://shop:secret@mail.example.com?tls=none", "unencrypted"),
        ("http://mail.example.com", "smtps:// (TLS) or smtp:// (STARTTLS)"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_cakeshop"))
            .args(["dev", "--port", "0", "--console-port", "0", "--data-dir"])
            .arg(&data_dir)
            .arg("--config")
            .arg(project_file("serverless.yml"))
            .env("SMTP_URL", url)
            .env("CAKESHOP_LOG", "warn")
            .output()
            .expect("cakeshop runs");
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{url}: it refuses to start");
        assert!(said.contains(reason), "{url}: {said}");
        assert!(!said.contains("secret"), "the password stays out of the error: {said}");
        assert!(!data_dir.exists(), "{url}: nothing written");
    }
}
