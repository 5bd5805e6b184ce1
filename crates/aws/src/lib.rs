//! The ports of `cakeshop-ports` on AWS: orders in DynamoDB, events on Kinesis, messages on
//! SQS, email through SES, partners over HTTPS, and the configuration the Lambdas read.
//!
//! Every adapter keeps the SDK's error as the cause of the `PortError` it returns.
//!
//! - `orders` (with `order_item`, `outbox_item`, `status_index`, `bakery_item`, `order_table`):
//!   DynamoDB, the orders and the shop's rules and day counters beside them.
//! - `events`: Kinesis; `queue`: SQS; `mail`: SES v2; `partner`: HTTPS with retries.
//! - `metrics`: CloudWatch metrics as embedded metric format lines in the function's log.
//! - `clients`: the SDK clients, built once; `config`: a function's environment, secrets from SSM.

pub mod bakery_item;
pub mod clients;
pub mod config;
mod error_report;
pub mod events;
pub mod mail;
pub mod metrics;
pub mod order_item;
pub mod order_table;
pub mod orders;
pub mod outbox_item;
pub mod partner;
pub mod queue;
pub mod status_index;

pub use clients::AwsClients;
pub use config::{ConfigError, FunctionEnv, ResolvedEnv, Secret};
pub use events::KinesisEvents;
pub use mail::SesMailer;
pub use metrics::EmfMetrics;
pub use orders::DynamoOrders;
pub use outbox_item::PENDING_EVENTS_INDEX;
pub use partner::{DEFAULT_PARTNER_TIMEOUT, HttpPartner, HttpPartnerError};
pub use queue::SqsQueue;
pub use status_index::ORDERS_BY_STATUS_INDEX;
