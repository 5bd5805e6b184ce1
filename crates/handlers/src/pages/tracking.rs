//! `GET /track/{orderId}?t=<customerToken>`, the customer's tracking page: a permanent link
//! that needs no account, only the token that came with the order. It shows the order, its
//! delivery day and its journey so far.

use super::{layout, moment};
use cakeshop_domain::{CancelledBy, Order, ShopZone, Status, Step};
use maud::{Markup, html};

/// The query parameter that carries the customer's token.
pub const TOKEN_PARAMETER: &str = "t";

/// The tracking page's address for `order_id`, with its token.
pub fn tracking_path(order_id: &str, token: &str) -> String {
    let token: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
    let order_id: String = form_urlencoded::byte_serialize(order_id.as_bytes()).collect();
    format!("/track/{order_id}?{TOKEN_PARAMETER}={token}")
}

/// The journey's milestones as a customer thinks of them, each the step that reaches it.
const MILESTONES: [(Step, &str); 5] = [
    (Step::Placed, "Ordered"),
    (Step::BakerNotified, "The baker has your order"),
    (Step::Fulfilled, "Baked and ready"),
    (Step::CourierNotified, "On its way"),
    (Step::Delivered, "Delivered"),
];

/// What the customer is told the order is at now.
fn headline(order: &Order) -> &'static str {
    match order.status {
        Status::Placed => "Your order is in",
        Status::Fulfilled => "Your cake is ready",
        Status::OutForDelivery => "Your cake is on its way",
        Status::Delivered => "Your cake was delivered",
        Status::Cancelled => "This order was cancelled",
    }
}

pub fn page(order: &Order, zone: &ShopZone) -> Markup {
    let cancelled = order
        .cancellation
        .as_ref()
        .filter(|_| order.status == Status::Cancelled);
    layout(
        headline(order),
        html! {
            dl.summary {
                dt { "Cake" }
                dd { (order.quantity) " × " (order.product_name) }
                dt { "Total" }
                dd { (order.total_cents) }
                dt { "Delivery day" }
                dd { (order.delivery_date.written_out()) }
                dt { "For" }
                dd { (order.customer.name) }
                dt { "Address" }
                dd { (order.customer.address) }
                @if let Some(notes) = &order.customer.notes {
                    dt { "Notes" }
                    dd { (notes) }
                }
                dt { "Order number" }
                dd { (order.order_id.as_str()) }
            }
            h2 { "Its journey" }
            ol.timeline {
                @for (step, label) in MILESTONES {
                    @match order.step_time(step) {
                        Some(at) => li.done { (label) time { (moment(at, zone)) } },
                        None => @if cancelled.is_none() { li { (label) } },
                    }
                }
                @if let Some(cancellation) = cancelled {
                    li.done.stopped {
                        @match cancellation.by {
                            CancelledBy::Customer => "Cancelled by you",
                            CancelledBy::Baker => "Declined by the baker",
                        }
                        @if let Some(reason) = &cancellation.reason { ": " (reason) }
                        @if let Some(at) = order.step_time(Step::Cancelled) { time { (moment(at, zone)) } }
                    }
                }
            }
            p { "Keep this page's address: it is the link to your order." }
        },
    )
}
