//! The page behind the link in the baker's email (`GET /order/fulfilled?token=…`). Its GET only
//! shows, as mail scanners open links; its button posts the form that marks the cake ready.

use crate::pages::layout;
use cakeshop_domain::{Order, Status, Step};
use maud::{Markup, html};

/// The order and, while it is still `placed`, the button that marks it ready.
pub fn confirmation_page(order: &Order, token: &str, action: &str) -> Markup {
    layout(
        "Cake order",
        html! {
            (summary(order))
            @if order.status == Status::Cancelled {
                p { "This order was cancelled. There is nothing to bake." }
            } @else if order.status == Status::Placed {
                form method="post" action=(action) {
                    input type="hidden" name="token" value=(token);
                    button type="submit" { "The cake is ready" }
                }
            } @else {
                p {
                    "This cake was marked ready"
                    @if let Some(at) = order.step_time(Step::Fulfilled) { " at " (at.to_string()) }
                    ". Nothing more to do."
                }
            }
        },
    )
}

pub fn fulfilled_page(order: &Order) -> Markup {
    layout(
        "Thank you",
        html! {
            p { "Order " (order.order_id.as_str()) " is marked ready; the courier is being booked." }
        },
    )
}

pub fn refusal_page(message: &str) -> Markup {
    layout("Cannot do that", html! { p { (message) } })
}

fn summary(order: &Order) -> Markup {
    html! {
        dl.summary {
            dt { "Order" } dd { (order.order_id.as_str()) }
            dt { "Cake" } dd { (order.quantity) " × " (order.product_name) }
            dt { "Deliver" } dd { (order.delivery_date.written_out()) }
            dt { "For" } dd { (order.customer.name) }
            dt { "Address" } dd { (order.customer.address) }
            dt { "Notes" } dd { (order.customer.notes.as_deref().unwrap_or("(none)")) }
            dt { "Status" } dd { (order.status) }
        }
    }
}
