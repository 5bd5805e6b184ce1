//! The ports on the embedded store, a peer of `cakeshop-aws`: one SQLite file (WAL) holding
//! the orders table, the stream, the queues, the mailbox and the partner-call recorder, behind
//! `cakeshop dev` (`cakeshop-local` emulates the AWS services on top of it).
//!
//! Every write is a transaction committed before the caller hears "done", so a process killed
//! at any moment loses nothing it acknowledged. Writers to the stream and the queues bump a
//! watch counter so that consumers wake at once instead of polling.
//!
//! - `orders`: the `OrderRepository` and its outbox (`LocalOrders`), orders listed by status.
//! - `bakery`: the `Bakery` on `LocalOrders`: the shop's versioned settings, booked days.
//! - `limits`: the `Limiter` on `LocalOrders`: the client limits' fixed-window counters.
//! - `stream`: the `EventPublisher`, a Kinesis-like stream with shards and checkpoints.
//! - `queues`: the `QueueSender`, SQS-like queues with visibility and redrive.
//! - `mailbox`: the `Mailer`, every email kept (the SES stand-in's memory).
//! - `smtp_outbox`: the emails owed to an SMTP relay.
//! - `partners`: the calls the partner stand-ins received.
//! - `remote_checkpoints`: checkpoints of mappings on a real Kinesis stream.
//! - `store`: the store itself (`Store`), its connections and watches; `error`: `StoreError`.
//! - `writer`, `checkpointer`: group commit on one writer thread; the log folded back apart.
//! - `rules_cache`: the shop's rules kept between saves; `locking`: locks that outlive a panic.
//! - `schema`, `migrations`: the tables (and the sample catalogue a new store starts with),
//!   and changes to stores of older versions.
//! - `seed`: many orders at once, for measuring a large store.
//! - `faults`: crash points, to prove recovery.
//! - `inspect`: read-only views for the local console (queue depths, consumer lag, one order's
//!   records, messages, calls and emails).
//! - `data_dir_lock`: one process per store.
//! - `backup`: a consistent copy of a running store, and its restore.

pub mod backup;
mod bakery;
mod checkpointer;
mod data_dir_lock;
mod error;
pub mod faults;
mod inspect;
mod limits;
mod locking;
mod mailbox;
mod migrations;
mod orders;
mod partners;
mod queues;
mod remote_checkpoints;
mod rules_cache;
mod schema;
pub mod seed;
mod smtp_outbox;
mod store;
mod stream;
mod writer;

pub use data_dir_lock::{DataDirLock, LOCK_FILE, LockError};
pub use error::StoreError;
pub use inspect::{FoundCall, FoundMessage, QueueCounts};
pub use limits::forget_ended_windows;
pub use mailbox::{LocalMailer, MAIL_FEED, StoredEmail};
pub use orders::LocalOrders;
pub use partners::RecordedCall;
pub use queues::Redrive;
pub use queues::{LocalQueue, QueueMessage};
pub use smtp_outbox::{OutboxCounts, OwedEmail, SmtpOutbox};
pub use store::{STORE_FILE, Store, now_millis};
pub use stream::{LocalStream, StreamRecord, parse_sequence_number, sequence_number, shard_for};
