//! Whether the shop takes orders: the baker closes it (a holiday, an empty oven) with a message
//! for customers, optionally until a day it reopens by itself.

use crate::calendar::Day;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShopStatus {
    pub open: bool,
    /// What customers are told while it is closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The day it reopens by itself; closed until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Day>,
}

impl Default for ShopStatus {
    fn default() -> ShopStatus {
        ShopStatus {
            open: true,
            message: None,
            until: None,
        }
    }
}

impl ShopStatus {
    /// Whether new orders are taken on `today` (the shop's own day).
    pub fn is_open_on(&self, today: Day) -> bool {
        self.open || self.until.is_some_and(|reopens| today >= reopens)
    }

    /// What a refused customer reads.
    pub fn closed_message(&self) -> String {
        let message = self
            .message
            .as_deref()
            .unwrap_or("The shop is closed and is not taking orders.");
        match self.until {
            Some(reopens) => format!("{message} (taking orders again from {reopens})"),
            None => message.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reopens_by_itself_on_the_day_given() {
        let until = Day::parse("2026-12-27").expect("valid");
        let closed = ShopStatus {
            open: false,
            message: Some("Closed for Christmas".into()),
            until: Some(until),
        };
        assert!(!closed.is_open_on(until.plus_days(-1)));
        assert!(closed.is_open_on(until));
        assert_eq!(
            closed.closed_message(),
            "Closed for Christmas (taking orders again from 2026-12-27)"
        );
        assert!(ShopStatus::default().is_open_on(until));
    }
}
