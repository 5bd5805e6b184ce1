//! The contract of the client limits: a window counts at most its `max`, whatever races it; a
//! refused use counts nowhere and is refused until the full window ends; windows, limits and subjects are counted
//! apart; a check counts nothing; a use given back is free again.

use crate::limits::{Limiter, Verdict, check, give_back};
use cakeshop_domain::{Limit, Timestamp, Window};
use futures::future::join_all;

/// Every check below, on one store.
pub async fn limiter<L: Limiter>(limiter: &L) {
    counts_up_to_the_max_then_refuses_until_the_window_ends(limiter).await;
    every_window_must_have_room(limiter).await;
    racing_uses_never_pass_the_max(limiter).await;
    a_check_counts_nothing(limiter).await;
    a_use_given_back_is_free_again(limiter).await;
    limits_and_subjects_are_counted_apart(limiter).await;
}

/// A subject no other check (or earlier run on the same store) counts.
fn fresh_subject() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// 10 seconds into a clock minute, some day in 2100, so windows are predictable.
fn at(seconds_after: i64) -> Timestamp {
    let start = 4_102_444_800 + 10; // 2100-01-01T00:00:10Z
    Timestamp::from_unix_millis((start + seconds_after) * 1000).unwrap_or_else(|| panic!("a valid instant"))
}

async fn take<L: Limiter>(limiter: &L, limit: Limit, subject: &str, windows: &[Window], now: Timestamp) -> Verdict {
    match crate::limits::take(limiter, limit, subject, windows, now).await {
        Ok(verdict) => verdict,
        Err(error) => panic!("counting a use failed: {error}"),
    }
}

async fn counts_up_to_the_max_then_refuses_until_the_window_ends<L: Limiter>(limiter: &L) {
    let subject = fresh_subject();
    let minute = [Window::new(3, 60)];
    for n in 0..3 {
        let verdict = take(limiter, Limit::Orders, &subject, &minute, at(n)).await;
        assert_eq!(verdict, Verdict::Allowed, "use {} of 3 in a minute", n + 1);
    }
    let refused = take(limiter, Limit::Orders, &subject, &minute, at(5)).await;
    // The window started 10 s before `at(0)`: it ends 45 s after `at(5)`.
    assert_eq!(
        refused,
        Verdict::Refused {
            retry_after_seconds: 45
        }
    );
    let still = take(limiter, Limit::Orders, &subject, &minute, at(49)).await;
    assert_eq!(still, Verdict::Refused { retry_after_seconds: 1 });
    let next_minute = take(limiter, Limit::Orders, &subject, &minute, at(50)).await;
    assert_eq!(next_minute, Verdict::Allowed, "a new window starts empty");
}

async fn every_window_must_have_room<L: Limiter>(limiter: &L) {
    let subject = fresh_subject();
    let windows = [Window::new(2, 60), Window::new(3, 86_400)];
    assert!(
        take(limiter, Limit::Orders, &subject, &windows, at(0))
            .await
            .is_allowed()
    );
    assert!(
        take(limiter, Limit::Orders, &subject, &windows, at(1))
            .await
            .is_allowed()
    );
    let minute_full = take(limiter, Limit::Orders, &subject, &windows, at(2)).await;
    assert_eq!(
        minute_full,
        Verdict::Refused {
            retry_after_seconds: 48
        }
    );
    assert!(
        take(limiter, Limit::Orders, &subject, &windows, at(60))
            .await
            .is_allowed(),
        "the refused use took nothing from the day: its third use is still there"
    );
    let day_full = take(limiter, Limit::Orders, &subject, &windows, at(61)).await;
    let until_midnight = 86_400 - 10 - 61;
    assert_eq!(
        day_full,
        Verdict::Refused {
            retry_after_seconds: until_midnight as u32
        },
        "the day's third use was its last, though the minute has room"
    );
}

async fn racing_uses_never_pass_the_max<L: Limiter>(limiter: &L) {
    let subject = fresh_subject();
    let windows = [Window::new(5, 3_600)];
    let verdicts = join_all((0..20).map(|_| take(limiter, Limit::SignIn, &subject, &windows, at(0)))).await;
    let allowed = verdicts.iter().filter(|verdict| verdict.is_allowed()).count();
    assert_eq!(allowed, 5, "20 racing uses of a window of 5: {verdicts:?}");
}

async fn a_check_counts_nothing<L: Limiter>(limiter: &L) {
    let subject = fresh_subject();
    let windows = [Window::new(1, 60)];
    for _ in 0..3 {
        let checked = check(limiter, Limit::Recipient, &subject, &windows, at(0)).await;
        assert_eq!(checked.ok(), Some(Verdict::Allowed), "a check on an unused subject");
    }
    assert!(
        take(limiter, Limit::Recipient, &subject, &windows, at(0))
            .await
            .is_allowed()
    );
    let checked = check(limiter, Limit::Recipient, &subject, &windows, at(1)).await;
    assert_eq!(
        checked.ok(),
        Some(Verdict::Refused {
            retry_after_seconds: 49
        })
    );
}

async fn a_use_given_back_is_free_again<L: Limiter>(limiter: &L) {
    let subject = fresh_subject();
    let windows = [Window::new(1, 60), Window::new(2, 3_600)];
    assert!(
        take(limiter, Limit::SignIn, &subject, &windows, at(0))
            .await
            .is_allowed()
    );
    let given_back = give_back(limiter, Limit::SignIn, &subject, &windows, at(1)).await;
    assert!(given_back.is_ok(), "giving back: {given_back:?}");
    assert!(
        take(limiter, Limit::SignIn, &subject, &windows, at(2))
            .await
            .is_allowed()
    );
    // Giving back more than was taken leaves nothing below zero: still one use a minute.
    for _ in 0..3 {
        let given_back = give_back(limiter, Limit::SignIn, &subject, &windows, at(3)).await;
        assert!(given_back.is_ok(), "giving back: {given_back:?}");
    }
    assert!(
        take(limiter, Limit::SignIn, &subject, &windows, at(4))
            .await
            .is_allowed()
    );
    assert!(
        !take(limiter, Limit::SignIn, &subject, &windows, at(5))
            .await
            .is_allowed()
    );
    let fresh = fresh_subject();
    let nothing_taken = give_back(limiter, Limit::SignIn, &fresh, &windows, at(0)).await;
    assert!(
        nothing_taken.is_ok(),
        "giving back what was never taken: {nothing_taken:?}"
    );
    assert!(take(limiter, Limit::SignIn, &fresh, &windows, at(0)).await.is_allowed());
    assert!(!take(limiter, Limit::SignIn, &fresh, &windows, at(1)).await.is_allowed());
}

async fn limits_and_subjects_are_counted_apart<L: Limiter>(limiter: &L) {
    let (one, other) = (fresh_subject(), fresh_subject());
    let windows = [Window::new(1, 60)];
    assert!(take(limiter, Limit::Orders, &one, &windows, at(0)).await.is_allowed());
    assert!(!take(limiter, Limit::Orders, &one, &windows, at(0)).await.is_allowed());
    assert!(take(limiter, Limit::Orders, &other, &windows, at(0)).await.is_allowed());
    assert!(
        take(limiter, Limit::CustomerActions, &one, &windows, at(0))
            .await
            .is_allowed()
    );
    let longer = [Window::new(1, 120)];
    assert!(
        take(limiter, Limit::Orders, &one, &longer, at(0)).await.is_allowed(),
        "a window of another length is another counter"
    );
}
