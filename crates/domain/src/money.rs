//! Money in integer cents: never a float anywhere near a price.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in cents (euro cents; the shop has one currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cents(pub u64);

impl Cents {
    /// `self × quantity`, or `None` when it would not fit.
    pub fn times(self, quantity: u32) -> Option<Cents> {
        self.0.checked_mul(u64::from(quantity)).map(Cents)
    }

    /// An amount as a person types it in euros: `34`, `34.5`, `34.50`, `€34,50`. Whole cents
    /// only; `None` for anything else.
    pub fn parse_euros(text: &str) -> Option<Cents> {
        let text = text.trim().trim_start_matches('€').trim();
        let (euros, cents) = match text.split_once(['.', ',']) {
            Some((euros, cents)) => (euros, cents),
            None => (text, ""),
        };
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if euros.is_empty() || !digits(euros) || !digits(cents) || cents.len() > 2 {
            return None;
        }
        let cents = match cents.len() {
            0 => 0,
            1 => cents.parse::<u64>().ok()? * 10,
            _ => cents.parse::<u64>().ok()?,
        };
        euros
            .parse::<u64>()
            .ok()?
            .checked_mul(100)?
            .checked_add(cents)
            .map(Cents)
    }
}

impl fmt::Display for Cents {
    /// Human form for emails and pages: `€34.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "€{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplies_exactly_and_refuses_overflow() {
        assert_eq!(Cents(3450).times(3), Some(Cents(10350)));
        assert_eq!(Cents(u64::MAX).times(2), None);
    }

    #[test]
    fn reads_euros_as_typed() {
        for (text, cents) in [
            ("34.50", 3450),
            ("34.5", 3450),
            ("34", 3400),
            ("€ 0,05", 5),
            (" 12.00 ", 1200),
        ] {
            assert_eq!(Cents::parse_euros(text), Some(Cents(cents)), "{text}");
        }
        for text in ["", "34.505", "-3", "3.4.5", "abc", "1e3", ".50", "99999999999999999999"] {
            assert_eq!(Cents::parse_euros(text), None, "{text}");
        }
    }

    #[test]
    fn displays_euros_and_cents() {
        assert_eq!(Cents(3450).to_string(), "€34.50");
        assert_eq!(Cents(5).to_string(), "€0.05");
        assert_eq!(Cents(100_000).to_string(), "€1000.00");
    }
}
