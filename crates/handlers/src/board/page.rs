//! The baker's board, `GET /baker`: today's and upcoming orders by delivery day and status,
//! new ones highlighted until the baker marks them seen, one click to mark a cake ready or to
//! decline an order with a reason; and the shop's settings: open or closed, the cakes a weekday
//! can take, and the catalogue's prices and what is on sale. Kept current while open (the live
//! script); every form also works without it, and carries the session's CSRF token.

use crate::board::session::CSRF_FIELD;
use crate::pages::{layout, live_layout, moment};
use cakeshop_domain::{Cents, Day, Order, OrderId, ShopZone, Status, Timestamp, capacity::WEEKDAYS};
use cakeshop_ports::ShopRules;
use maud::{Markup, html};
use std::collections::BTreeMap;

/// The board's address.
pub const BOARD_PATH: &str = "/baker";
/// How often an open board looks for new orders, in milliseconds.
const REFRESH_MILLIS: u32 = 5_000;

/// The board with one order in view: where the baker's email links and where its forms return.
pub fn board_order_path(order_id: &OrderId) -> String {
    let id: String = form_urlencoded::byte_serialize(order_id.as_str().as_bytes()).collect();
    format!("{BOARD_PATH}?order={id}#order-{id}")
}

/// What the board shows.
pub struct Board<'a> {
    /// The orders still to bake or deliver.
    pub orders: &'a [Order],
    pub rules: &'a ShopRules,
    /// Orders placed after this were not yet seen by the baker (all, if never).
    pub seen_until: Option<Timestamp>,
    /// The order the baker came to see (from their email).
    pub focus: Option<&'a OrderId>,
    pub csrf: &'a str,
    pub zone: &'a ShopZone,
    pub today: Day,
}

impl Board<'_> {
    fn is_new(&self, order: &Order) -> bool {
        order.status == Status::Placed && self.seen_until.is_none_or(|seen| order.created_at > seen)
    }
}

fn status_label(status: Status) -> &'static str {
    match status {
        Status::Placed => "To bake",
        Status::Fulfilled => "Ready",
        Status::OutForDelivery => "On its way",
        Status::Delivered => "Delivered",
        Status::Cancelled => "Cancelled",
    }
}

fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(token); }
}

pub fn page(board: &Board) -> Markup {
    let new_count = board.orders.iter().filter(|order| board.is_new(order)).count();
    let mut by_day: BTreeMap<Day, Vec<&Order>> = BTreeMap::new();
    for order in board.orders {
        by_day.entry(order.delivery_date).or_default().push(order);
    }
    for orders in by_day.values_mut() {
        orders.sort_by_key(|order| (order.status != Status::Placed, order.created_at));
    }
    live_layout(
        "The baker's board",
        html! {
            div.board-bar {
                div data-sound-switch {}
                form method="post" action="/baker/sign-out" {
                    (csrf(board.csrf))
                    button.secondary type="submit" { "Sign out" }
                }
            }
            section aria-labelledby="orders-heading" {
                div data-live=(REFRESH_MILLIS) data-new=(new_count) {
                    h2 #orders-heading { "Orders" }
                    @if new_count > 0 {
                        div.notice.fresh role="status" {
                            p { strong { (new_count) @if new_count == 1 { " new order" } @else { " new orders" } } }
                            form method="post" action="/baker/seen" {
                                (csrf(board.csrf))
                                button type="submit" { "Mark all as seen" }
                            }
                        }
                    } @else {
                        p role="status" { "No new orders." }
                    }
                    @if by_day.is_empty() {
                        p { "Nothing to bake or deliver." }
                    }
                    @for (day, orders) in &by_day {
                        h3 {
                            (day.written_out())
                            @if *day == board.today { " (today)" } @else if *day < board.today { " (past)" }
                        }
                        ul.orders {
                            @for order in orders { (card(board, order)) }
                        }
                    }
                }
            }
            (settings(board))
        },
    )
}

fn card(board: &Board, order: &Order) -> Markup {
    let id = order.order_id.as_str();
    let new = board.is_new(order);
    let focus = board.focus == Some(&order.order_id);
    html! {
        li.order.new[new].focus[focus] id={ "order-" (id) } {
            p.order-head {
                strong { (order.quantity) " × " (order.product_name) }
                " "
                span.badge { (status_label(order.status)) }
                @if new { " " span.badge.badge-new { "New" } }
            }
            p { (order.customer.name) }
            p.address { (order.customer.address) }
            @if let Some(notes) = &order.customer.notes { p.notes { "Notes: " (notes) } }
            p.hint { "Ordered " (moment(order.created_at, board.zone)) " · " (order.total_cents) " · " (id) }
            @if order.status == Status::Placed {
                form.inline method="post" action="/order/fulfilled" {
                    input type="hidden" name="orderId" value=(id);
                    (csrf(board.csrf))
                    button type="submit" { "Mark ready" }
                }
                details.decline {
                    summary { "Decline…" }
                    form method="post" action="/order/cancelled" {
                        input type="hidden" name="orderId" value=(id);
                        (csrf(board.csrf))
                        div.field {
                            label for={ "reason-" (id) } { "Reason " span.hint { "(the customer is told)" } }
                            input type="text" id={ "reason-" (id) } name="reason" maxlength="500" required;
                        }
                        button.secondary type="submit" { "Decline the order" }
                    }
                }
            }
        }
    }
}

fn settings(board: &Board) -> Markup {
    let status = &board.rules.shop.value;
    let capacity = &board.rules.capacity.value;
    let open = status.is_open_on(board.today);
    html! {
        section #settings aria-labelledby="settings-heading" {
            h2 #settings-heading { "The shop" }
            form.action method="post" action="/baker/shop" {
                (csrf(board.csrf))
                @if open {
                    p { "The shop is " strong { "open" } ": customers can order." }
                    input type="hidden" name="open" value="false";
                    div.field {
                        label for="closed-message" { "Message while closed " span.hint { "(optional)" } }
                        input type="text" id="closed-message" name="message" maxlength="500";
                    }
                    button.secondary type="submit" { "Close the shop" }
                } @else {
                    p { "The shop is " strong { "closed" } ": " (status.closed_message()) }
                    input type="hidden" name="open" value="true";
                    button type="submit" { "Open the shop" }
                }
            }
            form.action method="post" action="/baker/capacity" {
                (csrf(board.csrf))
                fieldset {
                    legend { "Cakes a day" }
                    p.hint { "Orders for a day close at " (capacity.cutoff) " the day before." }
                    div.weekdays {
                        @for (_, name) in WEEKDAYS {
                            div.field {
                                label for={ "capacity-" (name) } { (title_case(name)) }
                                input type="number" id={ "capacity-" (name) } name=(name) min="0" max="10000"
                                    value=(capacity.per_weekday.get(name).copied().unwrap_or(0));
                            }
                        }
                    }
                }
                button type="submit" { "Save the days" }
            }
            h3 { "Cakes on the menu" }
            ul.orders {
                @for product in &board.rules.catalogue.value.products {
                    @let id = product.product_id.0;
                    li.order {
                        form method="post" action={ "/baker/products/" (id) } {
                            (csrf(board.csrf))
                            p.order-head { strong { (product.name) } }
                            div.field {
                                label for={ "price-" (id) } { "Price in euros" }
                                input type="text" inputmode="decimal" id={ "price-" (id) } name="price"
                                    value=(euros(product.price_cents)) required;
                            }
                            div.field {
                                label {
                                    input type="checkbox" name="available" value="true" checked[product.available];
                                    " On sale"
                                }
                            }
                            button type="submit" { "Save " (product.name) }
                        }
                    }
                }
            }
        }
    }
}

/// A price as the baker types it: `34.50`.
fn euros(price: Cents) -> String {
    format!("{}.{:02}", price.0 / 100, price.0 % 100)
}

fn title_case(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The sign-in form; `next` is the order the baker came to see, `problem` why the last try
/// failed.
pub fn sign_in_page(next: Option<&OrderId>, problem: Option<&str>) -> Markup {
    layout(
        "Sign in to the board",
        html! {
            @if let Some(problem) = problem {
                div.problems role="alert" { p { (problem) } }
            }
            form.action method="post" action="/baker/sign-in" {
                @if let Some(order_id) = next {
                    input type="hidden" name="order" value=(order_id.as_str());
                }
                div.field {
                    label for="key" { "The baker key" }
                    input type="password" id="key" name="key" autocomplete="current-password" required
                        aria-invalid=[problem.map(|_| "true")];
                }
                button type="submit" { "Sign in" }
            }
        },
    )
}
