//! `cakeshop dev`: the whole shop on one machine. The same handlers and event types as on AWS,
//! on the embedded store (`cakeshop-sqlite`), with stand-ins for the AWS services that behave
//! like them where it matters, all wired from the project's `serverless.yml`. One module for
//! each service it stands in for, or concern a user would name:
//!
//! - `serverless`: `serverless.yml` read into a `Wiring`, and the resource names for a stage.
//! - `api_gateway`: the HTTP API's routes, as API Gateway v2 events: the public surface.
//! - `lambda`: invoking the declared functions by name; what every event source mapping shares.
//! - `kinesis`: the stream's event source mapping (batches, filters, retries, bisect, partial
//!   failures, on-failure destinations).
//! - `sqs`: the queues' event source mapping (visibility, redrive).
//! - `eventbridge`: `schedule:` triggers.
//! - `ses`: the mailbox's feed.
//! - `smtp`: real email through an SMTP server, when one is configured.
//! - `partners`: the delivery company's and customer service's stand-ins, with fault switches.
//! - `dead_letters`: dead-letter queues and on-failure destinations, listed and redriven.
//! - `cloudwatch`: the functions' own metrics, summed as a dashboard shows them.
//! - `console`: the console at `/_local/`: everything above, live, and any order's journey.
//! - `feeds`: the `/_local/` feeds' paging and waiting.
//! - `operator`: the operator's surface (console, feeds, stand-ins) on its own loopback
//!   listener, refusing requests addressed to other names and changes from other sites.
//! - `arn`: the region, account and ARNs of the local resources.
//! - `stopping`: a clean stop of the mappings, between batches.
//! - `dev`: the process that assembles them all (`cakeshop dev`).

pub mod api_gateway;
pub mod arn;
pub mod cloudwatch;
pub mod console;
pub mod dead_letters;
pub mod dev;
pub mod eventbridge;
pub mod feeds;
pub mod kinesis;
pub mod lambda;
pub mod operator;
pub mod partners;
pub mod serverless;
pub mod ses;
pub mod smtp;
pub mod sqs;
pub mod stopping;

pub use dev::{Backend, DevError, DevOptions, RunningShop, Stopped, offline_functions, start};
pub use lambda::Functions;

pub use cakeshop_ports::error_chain;
