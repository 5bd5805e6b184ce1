//! When a failed partner call is tried again within the same invocation, and how long to wait
//! first. Retrying here rides out a blip in seconds; an outage outlasts the retries, the
//! message comes back after the queue's visibility timeout and, in the end, is dead-lettered.

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

/// How many tries a call gets and how the pauses between them grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included; 1 means no retry.
    pub attempts: u32,
    /// The pause before the first retry, before jitter; each later pause doubles.
    pub first_backoff: Duration,
    /// No pause is longer than this, before jitter.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// Three tries, pausing 100–200 ms, then 200–400 ms: with the call's budget
    /// (`DEFAULT_PARTNER_TIMEOUT`) shared by the tries, even a silent partner gets all three
    /// well inside the Lambda's timeout.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        attempts: 3,
        first_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(1),
    };

    /// One try only.
    pub const NONE: RetryPolicy = RetryPolicy {
        attempts: 1,
        first_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
    };

    /// The pause before retry number `retry` (1 for the first) given `random` in [0, 1): half
    /// of the exponential delay for sure and up to the other half at random ("equal jitter"),
    /// so that messages failing together do not come back together, yet never at once.
    pub fn backoff(&self, retry: u32, random: f64) -> Duration {
        let doublings = retry.saturating_sub(1).min(16);
        let delay = self.first_backoff.saturating_mul(1 << doublings).min(self.max_backoff);
        let half = delay / 2;
        half + half.mul_f64(random.clamp(0.0, 1.0))
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::DEFAULT
    }
}

/// A number in [0, 1) that differs from call to call: `RandomState` is seeded per process and
/// per instance, which is all jitter needs.
pub fn random_fraction() -> f64 {
    let bits = RandomState::new().hash_one(std::time::Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// Waits `duration` on the runtime's timer (every binary runs the handlers on tokio).
pub async fn pause(duration: Duration) {
    tokio::time::sleep(duration).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        attempts: 6,
        first_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_millis(1_000),
    };

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    #[test]
    fn pauses_double_from_the_first_up_to_the_cap() {
        let least: Vec<Duration> = (1..=5).map(|retry| POLICY.backoff(retry, 0.0)).collect();
        assert_eq!(least, [ms(100), ms(200), ms(400), ms(500), ms(500)]);
        let most: Vec<Duration> = (1..=5).map(|retry| POLICY.backoff(retry, 1.0)).collect();
        assert_eq!(most, [ms(200), ms(400), ms(800), ms(1_000), ms(1_000)]);
        assert_eq!(POLICY.backoff(3, 0.5), ms(600));
        assert_eq!(POLICY.backoff(u32::MAX, 1.0), ms(1_000), "no overflow");
    }

    #[test]
    fn jitter_spreads_pauses_over_the_upper_half() {
        let pauses: Vec<Duration> = (0..200).map(|_| POLICY.backoff(2, random_fraction())).collect();
        assert!(pauses.iter().all(|p| (ms(200)..=ms(400)).contains(p)), "{pauses:?}");
        let distinct: std::collections::HashSet<_> = pauses.iter().collect();
        assert!(distinct.len() > 50, "the pauses differ: {distinct:?}");
        assert!(pauses.iter().any(|p| *p < ms(250)) && pauses.iter().any(|p| *p > ms(350)));
    }

    #[test]
    fn random_fractions_stay_in_the_unit_interval() {
        assert!((0..1_000).map(|_| random_fraction()).all(|f| (0.0..1.0).contains(&f)));
        assert_eq!(POLICY.backoff(1, 7.0), ms(200), "out-of-range randomness is clamped");
    }

    #[test]
    fn the_default_policy_fits_the_lambda_timeout() {
        let policy = RetryPolicy::default();
        let pauses: Duration = (1..policy.attempts).map(|retry| policy.backoff(retry, 1.0)).sum();
        assert!(policy.attempts >= 2, "a blip is ridden out");
        assert!(pauses < Duration::from_secs(2), "{pauses:?}");
    }

    #[tokio::test]
    async fn a_pause_ends_after_its_duration() {
        let started = std::time::Instant::now();
        pause(ms(50)).await;
        assert!(started.elapsed() >= ms(50));
    }
}
