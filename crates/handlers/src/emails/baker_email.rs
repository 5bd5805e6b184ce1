//! The emails to the baker: a cake is wanted, and a customer cancelled one.

use crate::emails::html::{escape, escape_multiline};
use cakeshop_domain::{Cancellation, Order};
use cakeshop_ports::Email;

/// Composes the baker's email. Every customer-supplied value is HTML-escaped, and none goes
/// into a header: the subject is built only from the catalogue and the order id.
pub fn compose(
    order: &Order,
    board_link: &str,
    confirm_link: &str,
    from: &str,
    to: &str,
    idempotency_key: &str,
) -> Email {
    let subject = one_line(&format!(
        "New order {}: {} × {}",
        order.order_id, order.quantity, order.product_name
    ));
    let email = order.customer.email.as_deref().unwrap_or("(not given)");
    let notes = order.customer.notes.as_deref().unwrap_or("(none)");
    let text = format!(
        "A new cake order is waiting.\n\n\
         Order:    {id}\n\
         Cake:     {quantity} × {product}\n\
         Deliver:  {day}\n\
         Total:    {total}\n\
         For:      {name}\n\
         Address:  {address}\n\
         Email:    {email}\n\
         Notes:    {notes}\n\n\
         See it on your board:\n{board}\n\n\
         Or, without signing in, when the cake is ready open this link and press \"The cake is ready\":\n{link}\n",
        board = board_link,
        id = order.order_id,
        quantity = order.quantity,
        product = order.product_name,
        day = order.delivery_date,
        total = order.total_cents,
        name = order.customer.name,
        address = order.customer.address,
        link = confirm_link,
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">\
         <h2>A new cake order is waiting</h2>\
         <table>\
         <tr><th align=left>Order</th><td>{id}</td></tr>\
         <tr><th align=left>Cake</th><td>{quantity} × {product}</td></tr>\
         <tr><th align=left>Deliver</th><td>{day}</td></tr>\
         <tr><th align=left>Total</th><td>{total}</td></tr>\
         <tr><th align=left>For</th><td>{name}</td></tr>\
         <tr><th align=left>Address</th><td>{address}</td></tr>\
         <tr><th align=left>Email</th><td>{email}</td></tr>\
         <tr><th align=left>Notes</th><td>{notes}</td></tr>\
         </table>\
         <p><a href=\"{board}\">See it on your board</a>.</p>\
         <p>Or, without signing in, when the cake is ready <a href=\"{link}\">open the order page</a> and press \
         <em>The cake is ready</em>.</p>\
         </body></html>",
        id = escape(order.order_id.as_str()),
        quantity = order.quantity,
        product = escape(&order.product_name),
        day = escape(&order.delivery_date.to_string()),
        total = escape(&order.total_cents.to_string()),
        name = escape(&order.customer.name),
        address = escape_multiline(&order.customer.address),
        email = escape(email),
        notes = escape_multiline(notes),
        link = escape(confirm_link),
        board = escape(board_link),
    );
    Email {
        to: to.to_owned(),
        from: from.to_owned(),
        subject,
        text,
        html,
        order_id: order.order_id.clone(),
        idempotency_key: idempotency_key.to_owned(),
    }
}

/// Composes the email that tells the baker a customer cancelled `order`: nothing to bake. Like
/// the new order's email, every customer-supplied value (the reason too) is HTML-escaped and
/// none goes into the subject.
pub fn compose_cancellation(
    order: &Order,
    cancellation: &Cancellation,
    from: &str,
    to: &str,
    idempotency_key: &str,
) -> Email {
    let subject = one_line(&format!(
        "Cancelled: order {}: {} × {} for {}",
        order.order_id, order.quantity, order.product_name, order.delivery_date
    ));
    let reason = cancellation.reason.as_deref().unwrap_or("(none given)");
    let text = format!(
        "The customer cancelled this order: there is nothing to bake for it.\n\n\
         Order:    {id}\n\
         Cake:     {quantity} × {product}\n\
         Deliver:  {day}\n\
         For:      {name}\n\
         Reason:   {reason}\n\n\
         The day's capacity is free again for other orders.\n",
        id = order.order_id,
        quantity = order.quantity,
        product = order.product_name,
        day = order.delivery_date,
        name = order.customer.name,
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">\
         <h2>An order was cancelled</h2>\
         <p>The customer cancelled this order: there is nothing to bake for it.</p>\
         <table>\
         <tr><th align=left>Order</th><td>{id}</td></tr>\
         <tr><th align=left>Cake</th><td>{quantity} × {product}</td></tr>\
         <tr><th align=left>Deliver</th><td>{day}</td></tr>\
         <tr><th align=left>For</th><td>{name}</td></tr>\
         <tr><th align=left>Reason</th><td>{reason}</td></tr>\
         </table>\
         <p>The day&#39;s capacity is free again for other orders.</p>\
         </body></html>",
        id = escape(order.order_id.as_str()),
        quantity = order.quantity,
        product = escape(&order.product_name),
        day = escape(&order.delivery_date.to_string()),
        name = escape(&order.customer.name),
        reason = escape_multiline(reason),
    );
    Email {
        to: to.to_owned(),
        from: from.to_owned(),
        subject,
        text,
        html,
        order_id: order.order_id.clone(),
        idempotency_key: idempotency_key.to_owned(),
    }
}

/// A header value that cannot start a header of its own. The subject's parts come from the
/// stored order, which validation filled, but a line break in a header is an injection, so
/// the subject does not rely on every writer of the table having validated.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}
