//! The bakery's domain: what an order is, what it costs, which steps it goes through and which
//! events it emits. Pure data and rules; every side effect lives behind the ports.
//!
//! - `order`: an order and a validated new one; `status`: the status machine and history steps.
//! - `catalogue`: the cakes, as data the baker manages; `money`: integer cents; `timestamp`: UTC
//!   instants.
//! - `calendar`: days in the shop's zone, the cut-off and the ordering horizon; `capacity`: how
//!   many cakes a day takes; `shop`: open or closed; `limits`: how much one client may ask.
//! - `validation`: request bodies into checked values, with messages a person can act on;
//!   `request_error`: why a request was refused, field by field.
//! - `events`: what goes on the stream; `messages`: what goes on the two queues; `trace`: the
//!   W3C trace context an order's work is followed in across them.

pub mod calendar;
pub mod capacity;
pub mod catalogue;
pub mod events;
pub mod limits;
pub mod messages;
pub mod money;
pub mod order;
pub mod request_error;
pub mod shop;
pub mod status;
pub mod timestamp;
pub mod trace;
pub mod validation;

pub use calendar::{Day, DayError, ORDERING_HORIZON_DAYS, OrderingWindow, ShopZone, ShopZoneError, TimeOfDay};
pub use capacity::{CapacityChange, CapacitySettings, DayAvailability, MAX_DAILY_CAPACITY};
pub use catalogue::{Catalogue, CatalogueError, NewProduct, Product, ProductChange, ProductId};
pub use events::{EVENT_SCHEMA_VERSION, EventDecodeError, EventKind, OrderEvent};
pub use limits::{ClientLimits, Limit, LimitsError, Window};
pub use messages::{DeliveryRequest, FeedbackMessage, MessageDecodeError};
pub use money::Cents;
pub use order::{
    Cancellation, CancelledBy, Customer, HistoryEntry, NewOrder, Order, OrderId, OrderIdError, OrderRequest,
};
pub use shop::ShopStatus;
pub use status::{Status, Step, TransitionError};
pub use timestamp::Timestamp;
pub use trace::{SpanId, TraceId, TraceParent};
pub use validation::{
    Cancel, DeliveryConfirmation, FieldError, RequestError, parse_cancellation, parse_capacity_change,
    parse_delivery_confirmation, parse_new_order, parse_new_product, parse_order_reference, parse_product_change,
    parse_shop_status, product_change_from_form, shop_status_from_form, weekday_capacity_from_form,
};
