//! UTC instants, written as RFC 3339 everywhere they leave the process.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Builds a timestamp from a UTC instant, dropping precision below a millisecond so that the
    /// value round-trips through every store unchanged.
    pub fn from_datetime(at: OffsetDateTime) -> Self {
        let millis = at.millisecond();
        let truncated = at
            .to_offset(time::UtcOffset::UTC)
            .replace_millisecond(millis)
            .unwrap_or(at);
        Timestamp(truncated)
    }

    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .ok()
            .map(Timestamp)
    }

    pub fn parse(text: &str) -> Result<Self, time::error::Parse> {
        OffsetDateTime::parse(text, &Rfc3339).map(Self::from_datetime)
    }

    pub fn unix_seconds(self) -> i64 {
        self.0.unix_timestamp()
    }

    pub fn unix_millis(self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1_000_000) as i64
    }

    /// This instant moved by a number of seconds (saturating at the ends of time).
    pub fn plus_seconds(self, seconds: i64) -> Self {
        Timestamp(self.0.checked_add(time::Duration::seconds(seconds)).unwrap_or(self.0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_rfc3339_at_millisecond_precision() {
        let at = Timestamp::from_unix_millis(1_790_000_000_123).expect("in range");
        assert_eq!(at.to_string(), "2026-09-21T14:13:20.123Z");
        assert_eq!(Timestamp::parse(&at.to_string()).expect("parses"), at);
    }

    #[test]
    fn refuses_text_that_is_not_rfc3339() {
        assert!(Timestamp::parse("yesterday").is_err());
    }
}
