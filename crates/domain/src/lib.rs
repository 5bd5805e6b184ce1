//! The bakery's domain: what an order is, what it costs, which steps it goes through and which
//! events it emits. Pure data and rules; every side effect lives behind the ports.
//!
//! - `order`: an order and a validated new one; `status`: the status machine and history steps.
//! - `catalogue`: the cakes; `money`: integer cents; `timestamp`: UTC instants.
//! - `validation`: request bodies into checked values, with messages a person can act on.
//! - `events`: what goes on the stream; `messages`: what goes on the two queues.

pub mod catalogue;
pub mod events;
pub mod messages;
pub mod money;
pub mod order;
pub mod status;
pub mod timestamp;
pub mod validation;

pub use catalogue::{Product, ProductId, find_product, products};
pub use events::{EVENT_SCHEMA_VERSION, EventDecodeError, EventKind, OrderEvent};
pub use messages::{DeliveryRequest, FeedbackMessage, MessageDecodeError};
pub use money::Cents;
pub use order::{Customer, HistoryEntry, NewOrder, Order, OrderId, OrderIdError};
pub use status::{Status, Step, TransitionError};
pub use timestamp::Timestamp;
pub use validation::{
    DeliveryConfirmation, FieldError, RequestError, parse_delivery_confirmation, parse_new_order, parse_order_reference,
};
