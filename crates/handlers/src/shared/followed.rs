//! Every log line of work for an order carries the order's trace id: a handler's span declares
//! an empty `trace_id` field and fills it in here once it has read the order.

use cakeshop_domain::Order;

pub fn record_trace_of(order: &Order) {
    if let Some(trace) = order.trace_id {
        tracing::Span::current().record("trace_id", tracing::field::display(trace));
    }
}
