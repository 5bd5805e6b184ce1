//! The emails to the customer: their confirmation with the tracking link, "your cake is on its
//! way", and the cancellation notice. The HTML part goes through maud, which escapes every value;
//! no customer value goes into the subject, which names only the shop and the catalogue's cake.

use crate::pages::SHOP_NAME;
use cakeshop_domain::{Cancellation, CancelledBy, Order};
use cakeshop_ports::Email;
use maud::{DOCTYPE, Markup, html};

/// Where a customer's email is from, and the tracking link it carries.
pub struct CustomerLetter<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub tracking_link: &'a str,
    /// The event the email reports: the provider's idempotency key.
    pub idempotency_key: &'a str,
}

/// The confirmation: what was ordered, for when, and the permanent link to follow it.
pub fn confirmation(order: &Order, letter: &CustomerLetter) -> Email {
    let subject = format!("{SHOP_NAME}: your order for {}", order.product_name);
    let intro = format!(
        "Thank you, {}. We have your order and the baker has it on their board.",
        order.customer.name
    );
    compose(order, letter, subject, "Thank you for your order", &intro, true)
}

/// The cake is baked and handed to the courier.
pub fn on_its_way(order: &Order, letter: &CustomerLetter) -> Email {
    let subject = format!("{SHOP_NAME}: your {} is on its way", order.product_name);
    let intro = format!(
        "Good news, {}: your cake is baked and on its way to you.",
        order.customer.name
    );
    compose(order, letter, subject, "Your cake is on its way", &intro, true)
}

/// The order is cancelled, by the customer or declined by the baker (with their reason).
pub fn cancelled(order: &Order, cancellation: &Cancellation, letter: &CustomerLetter) -> Email {
    let subject = format!("{SHOP_NAME}: your order for {} is cancelled", order.product_name);
    let mut intro = match cancellation.by {
        CancelledBy::Customer => format!("{}, your order is cancelled, as you asked.", order.customer.name),
        CancelledBy::Baker => format!(
            "We are sorry, {}: the baker could not take your order, so it is cancelled.",
            order.customer.name
        ),
    };
    if let Some(reason) = &cancellation.reason {
        intro.push_str(&format!(" Reason: {reason}"));
    }
    intro.push_str(" Nothing will be charged.");
    compose(order, letter, subject, "Your order is cancelled", &intro, false)
}

fn compose(order: &Order, letter: &CustomerLetter, subject: String, title: &str, intro: &str, live: bool) -> Email {
    let follow = if live {
        "Follow your order, cancel it while it is not yet baked, or tell us it arrived:"
    } else {
        "Your order's page:"
    };
    let text = format!(
        "{title}\n\n{intro}\n\n\
         Cake:          {quantity} × {product}\n\
         Delivery day:  {day}\n\
         Total:         {total}\n\
         For:           {name}\n\
         Address:       {address}\n\
         Order number:  {id}\n\n\
         {follow}\n{link}\n\n{SHOP_NAME}\n",
        quantity = order.quantity,
        product = order.product_name,
        day = order.delivery_date.written_out(),
        total = order.total_cents,
        name = order.customer.name,
        address = order.customer.address,
        id = order.order_id,
        link = letter.tracking_link,
    );
    Email {
        to: letter.to.to_owned(),
        from: letter.from.to_owned(),
        subject: one_line(&subject),
        text,
        html: html_part(order, letter, title, intro, follow).into_string(),
        order_id: order.order_id.clone(),
        idempotency_key: letter.idempotency_key.to_owned(),
    }
}

fn html_part(order: &Order, letter: &CustomerLetter, title: &str, intro: &str, follow: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (title) } }
            body style="font-family:sans-serif;color:#3b2a20;max-width:36em" {
                h1 style="font-size:1.4em;color:#7a3b2e" { (title) }
                p { (intro) }
                table {
                    tr { th align="left" { "Cake" } td { (order.quantity) " × " (order.product_name) } }
                    tr { th align="left" { "Delivery day" } td { (order.delivery_date.written_out()) } }
                    tr { th align="left" { "Total" } td { (order.total_cents) } }
                    tr { th align="left" { "For" } td { (order.customer.name) } }
                    tr { th align="left" { "Address" } td style="white-space:pre-line" { (order.customer.address) } }
                    tr { th align="left" { "Order number" } td { (order.order_id.as_str()) } }
                }
                p { (follow) " " a href=(letter.tracking_link) { "your order's page" } }
                p { (SHOP_NAME) }
            }
        }
    }
}

/// A header value that cannot start a header of its own.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}
