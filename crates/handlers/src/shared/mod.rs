//! What every handler shares.
//!
//! - `api`: reading an API Gateway request, writing the JSON answer and the error shape.
//! - `auth`: the baker key, and the signed tokens, links and sessions (`Signer`).
//! - `forms`: HTML form bodies, and refusing posts from other sites.
//! - `limits`: the client limits a route declares, applied to the client that asks.
//! - `stream_batch`, `queue_batch`: Kinesis and SQS batches with partial batch failures;
//!   `record_error`, why one record or message failed.
//! - `announce`: publishing a stored change's event, then clearing its outbox mark.
//! - `partner_forwarding`: a queued message to a partner's API, once.
//! - `followed`: the trace a stored order carries, onto the current span.

pub mod announce;
pub mod api;
pub mod auth;
pub mod followed;
pub mod forms;
pub mod limits;
pub mod partner_forwarding;
pub mod queue_batch;
pub mod record_error;
pub mod stream_batch;
