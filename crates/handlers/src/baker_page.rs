//! The small page behind the link in the baker's email. Its GET only shows; the button POSTs.

use crate::html::{escape, escape_multiline};
use cakeshop_domain::{Order, Status, Step};

/// The order and, while it is still `placed`, a button that marks it fulfilled.
pub fn confirmation_page(order: &Order, token: &str, action: &str) -> String {
    let body = if order.status == Status::Cancelled {
        "<p>This order was cancelled. There is nothing to bake.</p>".to_owned()
    } else if order.status == Status::Placed {
        format!(
            "<form method=\"post\" action=\"{action}\">\
             <input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <button type=\"submit\">The cake is ready</button></form>",
            action = escape(action),
            token = escape(token),
        )
    } else {
        let when = order
            .step_time(Step::Fulfilled)
            .map(|at| at.to_string())
            .unwrap_or_default();
        format!(
            "<p>This cake was marked ready at {}. Nothing more to do.</p>",
            escape(&when)
        )
    };
    page("Cake order", &format!("{}{body}", order_summary(order)))
}

pub fn fulfilled_page(order: &Order) -> String {
    page(
        "Thank you",
        &format!(
            "<p>Order {} is marked ready; the courier is being booked.</p>",
            escape(order.order_id.as_str())
        ),
    )
}

pub fn refusal_page(message: &str) -> String {
    page("Cannot do that", &format!("<p>{}</p>", escape(message)))
}

fn order_summary(order: &Order) -> String {
    format!(
        "<table>\
         <tr><th align=left>Order</th><td>{id}</td></tr>\
         <tr><th align=left>Cake</th><td>{quantity} × {product}</td></tr>\
         <tr><th align=left>Deliver</th><td>{day}</td></tr>\
         <tr><th align=left>For</th><td>{name}</td></tr>\
         <tr><th align=left>Address</th><td>{address}</td></tr>\
         <tr><th align=left>Notes</th><td>{notes}</td></tr>\
         <tr><th align=left>Status</th><td>{status}</td></tr>\
         </table>",
        id = escape(order.order_id.as_str()),
        quantity = order.quantity,
        product = escape(&order.product_name),
        day = escape(&order.delivery_date.to_string()),
        name = escape(&order.customer.name),
        address = escape_multiline(&order.customer.address),
        notes = escape_multiline(order.customer.notes.as_deref().unwrap_or("(none)")),
        status = order.status,
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:2em auto\"><h1>{title}</h1>{body}</body></html>",
        title = escape(title),
    )
}
