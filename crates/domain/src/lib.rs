//! The bakery's domain: what an order is, what it costs, which steps it goes through and which
//! events it emits. Pure data and rules; every side effect lives behind the ports.

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
pub use order::{Customer, HistoryEntry, Order, OrderId, OrderIdError};
pub use status::{Status, Step, TransitionError};
pub use timestamp::Timestamp;
pub use validation::{
    DeliveryConfirmation, FieldError, NewOrder, RequestError, parse_delivery_confirmation, parse_new_order,
    parse_order_reference,
};
