//! Fixed-window counters kept in the store, so that a restart (or another Lambda instance)
//! forgets nothing: how many times one subject (a client address, an email address) used a
//! limit in each window.

use crate::error::PortError;
use cakeshop_domain::{Limit, Timestamp, Window};
use std::future::Future;

/// Whether a use is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit until the last full window ends, this many seconds from now (at least 1).
    Refused {
        retry_after_seconds: u32,
    },
}

impl Verdict {
    pub fn is_allowed(self) -> bool {
        self == Verdict::Allowed
    }
}

/// One window's counter: its key, and when it can be forgotten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    pub key: String,
    pub window: Window,
    /// Unix seconds after which the counter no longer counts (the store may delete it).
    pub expires_at: i64,
}

/// The counter of `subject` under `limit` in each of `windows` at `now`. The subject is
/// written into the key as given: callers pass a pseudonym, not an address.
pub fn counters(limit: Limit, subject: &str, windows: &[Window], now: Timestamp) -> Vec<Counter> {
    let at = now.unix_seconds();
    windows
        .iter()
        .map(|window| Counter {
            key: format!(
                "limit#{}#{subject}#{}#{}",
                limit.name(),
                window.seconds,
                window.index_at(at)
            ),
            window: *window,
            expires_at: window.ends_after(at),
        })
        .collect()
}

/// The verdict once each counter said whether it had room: refused until the latest full
/// window ends.
pub fn verdict(full: impl IntoIterator<Item = Counter>, now: Timestamp) -> Verdict {
    let at = now.unix_seconds();
    match full.into_iter().map(|counter| counter.expires_at).max() {
        None => Verdict::Allowed,
        Some(ends) => Verdict::Refused {
            retry_after_seconds: u32::try_from((ends - at).max(1)).unwrap_or(u32::MAX),
        },
    }
}

/// Kept by the same store as the orders. Its callers name what they count through
/// `take`, `check` and `give_back`; a store only keeps counters.
pub trait Limiter: Send + Sync {
    /// Counts one use on every one of `counters`, or on none: only if every counter has room
    /// (fewer than its window's `max`) is the use counted, and then on all of them. No counter
    /// ever passes its `max`, however many uses race. The counters that were full (none: the
    /// use was counted).
    fn count(&self, counters: Vec<Counter>) -> impl Future<Output = Result<Vec<Counter>, PortError>> + Send;

    /// The counters among `counters` that have no room left, counting nothing.
    fn full(&self, counters: Vec<Counter>) -> impl Future<Output = Result<Vec<Counter>, PortError>> + Send;

    /// Takes one use back from each of `counters` that has any.
    fn uncount(&self, counters: Vec<Counter>) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// Counts one use of `subject` under `limit` in every one of `windows` at `now`, or in none:
/// allowed only if every window has room; a refused use is counted nowhere.
pub async fn take<L: Limiter>(
    limiter: &L,
    limit: Limit,
    subject: &str,
    windows: &[Window],
    now: Timestamp,
) -> Result<Verdict, PortError> {
    if windows.is_empty() {
        return Ok(Verdict::Allowed);
    }
    let full = limiter.count(counters(limit, subject, windows, now)).await?;
    Ok(verdict(full, now))
}

/// What `take` would answer, counting nothing.
pub async fn check<L: Limiter>(
    limiter: &L,
    limit: Limit,
    subject: &str,
    windows: &[Window],
    now: Timestamp,
) -> Result<Verdict, PortError> {
    if windows.is_empty() {
        return Ok(Verdict::Allowed);
    }
    let full = limiter.full(counters(limit, subject, windows, now)).await?;
    Ok(verdict(full, now))
}

/// Takes back one use that `take` counted at `now` (a sign-in that turned out to be the
/// baker's), never below zero.
pub async fn give_back<L: Limiter>(
    limiter: &L,
    limit: Limit,
    subject: &str,
    windows: &[Window],
    now: Timestamp,
) -> Result<(), PortError> {
    if windows.is_empty() {
        return Ok(());
    }
    limiter.uncount(counters(limit, subject, windows, now)).await
}
