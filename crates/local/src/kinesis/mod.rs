//! Kinesis: the stream's event source mapping, as Lambda runs it, on the local store's stream
//! or on a real (or emulated) Kinesis. The stream itself (shards, sequence numbers, retention)
//! is the store's: `cakeshop_sqlite::LocalStream`.
//!
//! - `consumer`: the mapping, one loop per shard: batches, windows, filters, retries, bisect,
//!   partial batch failures, on-failure destinations.
//! - `filter`: `filterPatterns`, as Lambda matches them.
//! - `failure_record`: what goes to the on-failure destination.
//! - `mapping`: the mapping's settings.
//! - `shards`: where a mapping reads (`ShardSource`); `local_shards` and `aws_shards` are the two.
//! - `event`: the `KinesisEvent` the function gets.

mod aws_shards;
mod consumer;
mod event;
mod failure_record;
mod filter;
mod local_shards;
mod mapping;
mod shards;

pub use aws_shards::KinesisShards;
pub use consumer::StreamConsumer;
pub use event::{kinesis_event, shard_id};
pub use failure_record::{FailureCondition, StreamFailure};
pub use filter::{FilterPattern, PatternError};
pub use local_shards::{LocalShards, source_record};
pub use mapping::StreamMapping;
pub use shards::{SequenceNumber, ShardSource, SourceRecord};
