//! SQS: a queue's event source mapping, as Lambda runs it, on the local store's queues or on a
//! real (or emulated) SQS. The queues themselves (visibility, receive counts, redrive to the
//! dead-letter queue) are the store's: `cakeshop_sqlite::LocalQueue`.
//!
//! - `consumer`: the mapping: batches, concurrency, partial batch failures.
//! - `mapping`: the mapping's settings and its queue's.
//! - `messages`: where a mapping reads (`MessageSource`); `local_messages` and `aws_messages`
//!   are the two.
//! - `event`: the `SqsEvent` the function gets.

mod aws_messages;
mod consumer;
mod event;
mod local_messages;
mod mapping;
mod messages;

pub use aws_messages::SqsMessages;
pub use consumer::QueueConsumer;
pub use event::sqs_event;
pub use local_messages::LocalMessages;
pub use mapping::{QueueMapping, QueueSpec, RedriveSpec};
pub use messages::{MessageSource, ReceivedMessage};
