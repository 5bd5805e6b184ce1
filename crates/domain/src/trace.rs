//! W3C trace context (`traceparent`, https://www.w3.org/TR/trace-context/): how one order's
//! work is followed across the HTTP API, the stream, the queues and every function.
//!
//! An order belongs to one trace, started by the request that placed it (continuing the
//! caller's `traceparent` if it sent one) and kept with the order, so every later hop (each
//! stream record, each queue message, later requests about the order) continues the same trace.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A trace's id: 16 bytes, never all zero, written as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceId([u8; 16]);

/// One hop's id within a trace (W3C `parent-id`): 8 bytes, never all zero.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpanId([u8; 8]);

/// A `traceparent`: version 00, the trace, the hop that caused this one, sampled or not.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent {
    pub trace_id: TraceId,
    pub parent_id: SpanId,
    pub sampled: bool,
}

impl TraceId {
    /// `None` for all zero bytes, which W3C reserves for "no trace".
    pub fn from_bytes(bytes: [u8; 16]) -> Option<TraceId> {
        (bytes != [0; 16]).then_some(TraceId(bytes))
    }

    pub fn parse(text: &str) -> Option<TraceId> {
        TraceId::from_bytes(hex(text)?)
    }
}

impl SpanId {
    pub fn from_bytes(bytes: [u8; 8]) -> Option<SpanId> {
        (bytes != [0; 8]).then_some(SpanId(bytes))
    }

    /// The id of the hop that `what` (an event id, a message's purpose and order) names within
    /// `trace`: the same hop always gets the same id, so a repeat of it (a retried publish, a
    /// redelivered message) is the same hop, and no randomness is needed to name one.
    pub fn of_hop(trace: TraceId, what: &str) -> SpanId {
        // FNV-1a, 64 bits: spreads the ids; nothing depends on them being secret.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in trace.0.iter().chain(what.as_bytes()) {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        SpanId(hash.max(1).to_be_bytes())
    }
}

impl TraceParent {
    /// The hop `what` of `trace`, sampled.
    pub fn hop(trace: TraceId, what: &str) -> TraceParent {
        TraceParent {
            trace_id: trace,
            parent_id: SpanId::of_hop(trace, what),
            sampled: true,
        }
    }

    /// Reads a `traceparent` header or attribute. Version 00 must be exactly four fields; a
    /// later version may add fields after them, which are ignored, as the specification asks.
    /// `None` for anything malformed (then a new trace is started instead).
    pub fn parse(text: &str) -> Option<TraceParent> {
        let text = text.trim();
        let mut fields = text.split('-');
        let version = fields.next()?;
        let trace_id = fields.next()?;
        let parent_id = fields.next()?;
        let flags = fields.next()?;
        let [version]: [u8; 1] = hex(version)?;
        if version == 0xff || (version == 0 && fields.next().is_some()) {
            return None;
        }
        let [flags]: [u8; 1] = hex(flags)?;
        Some(TraceParent {
            trace_id: TraceId::parse(trace_id)?,
            parent_id: SpanId::from_bytes(hex(parent_id)?)?,
            sampled: flags & 1 == 1,
        })
    }
}

/// Exactly `2 × N` lowercase hex digits into N bytes.
fn hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let value = |digit: u8| match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    };
    let mut bytes = [0; N];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = value(pair[0])? << 4 | value(pair[1])?;
    }
    Some(bytes)
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    bytes.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{}-{}-{:02x}",
            self.trace_id,
            self.parent_id,
            u8::from(self.sampled)
        )
    }
}

impl fmt::Debug for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceParent({self})")
    }
}

impl Serialize for TraceId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TraceId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TraceId, D::Error> {
        let text = String::deserialize(deserializer)?;
        TraceId::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("not a trace id: {text:?}")))
    }
}

impl Serialize for TraceParent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TraceParent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TraceParent, D::Error> {
        let text = String::deserialize(deserializer)?;
        TraceParent::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("not a traceparent: {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn reads_and_writes_the_specifications_example() {
        let parent = TraceParent::parse(EXAMPLE).expect("valid");
        assert_eq!(parent.trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(parent.parent_id.to_string(), "00f067aa0ba902b7");
        assert!(parent.sampled);
        assert_eq!(parent.to_string(), EXAMPLE);
        let json = serde_json::to_string(&parent).expect("serialises");
        assert_eq!(serde_json::from_str::<TraceParent>(&json).expect("reads"), parent);
    }

    #[test]
    fn refuses_what_the_specification_refuses() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad:?}");
        }
        // A later version may carry more fields.
        let later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-more";
        assert!(!TraceParent::parse(later).expect("later version").sampled);
    }

    #[test]
    fn a_hop_keeps_the_trace_and_names_itself_the_same_each_time() {
        let trace = TraceId::parse("4bf92f3577b34da6a3ce929d0e0e4736").expect("valid");
        let placed = TraceParent::hop(trace, "order_placed:o-1");
        assert_eq!(placed.trace_id, trace);
        assert_eq!(placed, TraceParent::hop(trace, "order_placed:o-1"));
        assert_ne!(
            placed.parent_id,
            TraceParent::hop(trace, "order_fulfilled:o-1").parent_id
        );
        assert_eq!(TraceParent::parse(&placed.to_string()), Some(placed));
    }
}
