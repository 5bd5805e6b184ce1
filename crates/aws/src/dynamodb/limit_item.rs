//! A client limit's counter in the order table: the item keyed `limit#<limit>#<subject>#
//! <window seconds>#<window number>` (`cakeshop_ports::limits::counters`) with `hits` (N) and
//! `expiresAt` (N, Unix seconds: the table's time-to-live attribute). Order ids never hold
//! `#`, and a counter carries none of the indexes' key attributes, so no index lists it.

use aws_sdk_dynamodb::types::AttributeValue;
use cakeshop_ports::limits::Counter;

pub const HITS: &str = "hits";
/// The table's time-to-live attribute: DynamoDB deletes an item some time after it.
pub const EXPIRES_AT: &str = "expiresAt";

pub fn counter_key(counter: &Counter) -> AttributeValue {
    AttributeValue::S(counter.key.clone())
}
