//! `/_local/mail/{seq}`: one email as its recipient gets it: the HTML part in a sandboxed frame
//! (no script, no plugin, links opening in the whole window, so they lead to the local shop),
//! the text part, and the links it carries.

use super::Console;
use super::view::{clock, html_response, order_link};
use axum::extract::{Path, State};
use axum::response::Response;
use cakeshop_sqlite::{LocalMailer, StoredEmail};
use http::StatusCode;
use maud::html;
use std::sync::Arc;

/// The email's own HTML, framed by the console only: inline styles as emails use them, images
/// from the shop, no script, and a sandbox that lets a click on a link open the shop's page in
/// the whole window.
const FRAME_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'self'; \
                            form-action 'none'; frame-ancestors 'self'; \
                            sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation";
const FRAME_SANDBOX: &str = "allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation";

/// The email numbered `seq`, or the page saying why it cannot be shown (boxed: it is large).
fn find(console: &Console, seq: &str) -> Result<StoredEmail, Box<Response>> {
    let missing = || {
        Box::new(console.problem(
            StatusCode::NOT_FOUND,
            "No such email",
            &format!("the mailbox holds no email {seq}"),
        ))
    };
    if !console.local {
        return Err(Box::new(console.problem(
            StatusCode::NOT_FOUND,
            "No local mailbox",
            "with --backend aws the emails go to SES, not to a local mailbox",
        )));
    }
    let seq: i64 = seq.parse().map_err(|_| missing())?;
    match LocalMailer::new(console.store.clone()).email(seq) {
        Ok(Some(email)) => Ok(email),
        Ok(None) => Err(missing()),
        Err(error) => Err(Box::new(console.unreadable(&error))),
    }
}

pub async fn email(State(console): State<Arc<Console>>, Path(seq): Path<String>) -> Response {
    let email = match find(&console, &seq) {
        Ok(email) => email,
        Err(response) => return *response,
    };
    let links: Vec<&str> = email
        .text
        .split_whitespace()
        .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
        .collect();
    console.page(
        &email.subject,
        html! {
            table {
                tbody {
                    tr { th scope="row" { "From" } td { (email.from) } }
                    tr { th scope="row" { "To" } td { (email.to) } }
                    tr { th scope="row" { "Sent" } td.mono { (clock(email.sent_ms)) } }
                    tr { th scope="row" { "Order" } td { (order_link(&email.order_id)) } }
                    tr { th scope="row" { "Message id" } td.mono { (email.message_id) } }
                }
            }
            @if !links.is_empty() {
                h2 { "Its links" }
                ul { @for link in &links { li { a href=(link) { (link) } } } }
            }
            h2 { "As HTML" }
            iframe src={ "/_local/mail/" (email.seq) "/html" } title={ "The email " (email.subject) " as HTML" } sandbox=(FRAME_SANDBOX) {}
            h2 { "As text" }
            pre { (email.text) }
        },
    )
}

pub async fn email_html(State(console): State<Arc<Console>>, Path(seq): Path<String>) -> Response {
    match find(&console, &seq) {
        // Links open in the whole window, as in a mail client, not inside the frame.
        Ok(email) => html_response(
            StatusCode::OK,
            FRAME_POLICY,
            format!("<base target=\"_top\">{}", email.html),
        ),
        Err(response) => *response,
    }
}
