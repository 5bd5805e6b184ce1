//! The ports of `cakeshop-ports` on AWS, a module per service: orders in DynamoDB, events on
//! Kinesis, messages on SQS, email through SES, partners over HTTPS, and the configuration the
//! Lambdas read.
//!
//! Every adapter keeps the SDK's error as the cause of the `PortError` it returns.
//!
//! - `dynamodb`: the orders, and the shop's rules and day counters beside them.
//! - `kinesis`: the order stream; `sqs`: the queues; `ses`: email (SES v2); `partner`: HTTPS
//!   with retries.
//! - `metrics`: CloudWatch metrics as embedded metric format lines in the function's log.
//! - `clients`: the SDK clients, built once; `config`: a function's environment, secrets from SSM.

pub mod clients;
pub mod config;
pub mod dynamodb;
mod error_report;
pub mod kinesis;
pub mod metrics;
pub mod partner;
pub mod ses;
pub mod sqs;

pub use clients::AwsClients;
pub use config::{ConfigError, FunctionEnv, ResolvedEnv, Secret};
pub use dynamodb::{DynamoOrders, ORDERS_BY_STATUS_INDEX, PENDING_EVENTS_INDEX};
pub use kinesis::KinesisEvents;
pub use metrics::EmfMetrics;
pub use partner::{DEFAULT_PARTNER_TIMEOUT, HttpPartner, HttpPartnerError};
pub use ses::SesMailer;
pub use sqs::SqsQueue;
