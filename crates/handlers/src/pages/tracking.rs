//! `GET /track/{orderId}?t=<customerToken>`, the customer's tracking page: a permanent link
//! that needs no account, only the token that came with the order. It shows the order, its
//! delivery day and its journey so far, kept current while it is open (the live script); a
//! cancel button while the order can still be cancelled; and, once the cake is on its way, the
//! form that says it arrived, with a rating and feedback. Its forms carry the token.

use super::{live_layout, moment};
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

/// The form field that carries the customer's token in the page's forms.
pub const TOKEN_FIELD: &str = "t";

/// How often an open tracking page looks for news, in milliseconds.
const REFRESH_MILLIS: u32 = 10_000;

pub fn page(order: &Order, zone: &ShopZone, token: &str) -> Markup {
    let cancelled = order
        .cancellation
        .as_ref()
        .filter(|_| order.status == Status::Cancelled);
    live_layout(
        headline(order),
        html! {
            div data-live=(REFRESH_MILLIS) {
            p { (order.quantity) " × " (order.product_name) ", for delivery on "
                strong { (order.delivery_date.written_out()) } "." }
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
            (actions(order, token))
            h2 { "Your order" }
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
            p { "Keep this page's address: it is the link to your order." }
            }
        },
    )
}

/// What the customer can do now: cancel a placed order, or confirm a cake on its way arrived.
fn actions(order: &Order, token: &str) -> Markup {
    html! {
        @match order.status {
            Status::Placed => {
                form.action method="post" action="/order/cancelled" {
                    input type="hidden" name="orderId" value=(order.order_id.as_str());
                    input type="hidden" name=(TOKEN_FIELD) value=(token);
                    div.field {
                        label for="reason" { "Changed your mind? " span.hint { "Reason (optional)" } }
                        input type="text" id="reason" name="reason" maxlength="500" autocomplete="off";
                    }
                    button.secondary type="submit" { "Cancel my order" }
                }
            }
            Status::OutForDelivery => {
                form.action method="post" action="/order/delivered" {
                    input type="hidden" name="orderId" value=(order.order_id.as_str());
                    input type="hidden" name=(TOKEN_FIELD) value=(token);
                    fieldset.rating {
                        legend { "How was your cake? " span.hint { "(optional)" } }
                        @for rating in 1..=5u8 {
                            label {
                                input type="radio" name="rating" value=(rating);
                                " " (rating) @if rating == 1 { " (poor)" } @if rating == 5 { " (wonderful)" }
                            }
                        }
                    }
                    div.field {
                        label for="feedback" { "Anything to tell us? " span.hint { "(optional)" } }
                        textarea id="feedback" name="feedback" maxlength="2000" {}
                    }
                    button type="submit" { "I've received my cake" }
                }
            }
            Status::Delivered => p.notice { "Thank you! We hope you enjoy your cake." },
            _ => {}
        }
    }
}
