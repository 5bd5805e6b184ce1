//! Ports: what a handler needs from the world, as small `Send + Sync` traits.
//!
//! Each has an AWS implementation (`cakeshop-aws`) and a local one (`cakeshop-sqlite`), and both
//! pass the same contract suite (`contract`, behind the feature of that name).
//!
//! - `orders`, `outbox`: the order table and the events its changes still owe the stream.
//! - `bakery`: the catalogue, capacity settings, open or closed, and each day's booked count.
//! - `limits`: fixed-window counters of what one client or email address asked for.
//! - `events`: the order stream; `queue`: the two queues; `mail`: email; `partner`: the
//!   partners' HTTP APIs; `clock`: time and order ids; `metrics`: what the shop counts and
//!   times, for dashboards.
//! - `config`: the environment variables functions read; `error`: the error every port returns.

pub mod bakery;
pub mod clock;
pub mod config;
pub mod error;
pub mod events;
pub mod limits;
pub mod mail;
pub mod metrics;
pub mod orders;
pub mod outbox;
pub mod partner;
pub mod queue;

#[cfg(feature = "contract")]
pub mod contract;

pub use bakery::{Bakery, MAX_DAYS_READ, Saved, ShopRules, Versioned};
pub use clock::{Clock, IdGenerator, SystemClock, TimeOrderedIds};
pub use config::{Variable, VariableKind};
pub use error::{BoxError, PortError, StorageFull, error_chain, is_storage_full};
pub use events::EventPublisher;
pub use limits::{Limiter, Verdict};
pub use mail::{Email, MailRefused, Mailer, is_mail_refused};
pub use metrics::{Metric, Metrics};
pub use orders::{CreateOutcome, OrderRepository, StatusCursor, StatusPage, StepOutcome, TransitionOutcome};
pub use outbox::{Outbox, PendingEvents};
pub use partner::{PartnerCall, PartnerClient, PartnerError};
pub use queue::{FailedMessage, OutgoingMessage, QueueSender, SendReport, TRACEPARENT_ATTRIBUTE};
