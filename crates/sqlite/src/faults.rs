//! Crash points, to prove recovery: with `CAKESHOP_CRASH_AT=<point>` the process aborts (no
//! cleanup, no flush, as a killed process or a Lambda out of memory) the first time it reaches
//! that point. Only the local backend's adapters and stand-ins have these points.

use std::sync::OnceLock;

pub const CRASH_AT_VARIABLE: &str = "CAKESHOP_CRASH_AT";

/// Every point, by name.
pub const CRASH_POINTS: [&str; 5] = [
    // The change is stored (and marked in the outbox); its event is not yet on the stream.
    "before-publish:order_placed",
    "before-publish:order_fulfilled",
    // The email is in the mailbox; the step is not recorded and the record not checkpointed.
    "after-email",
    // The partner stand-in recorded the call; the caller never hears back.
    "after-partner-call:delivery",
    "after-partner-call:customer-service",
];

static ARMED: OnceLock<Option<&'static str>> = OnceLock::new();

#[derive(Debug, thiserror::Error)]
#[error("{CRASH_AT_VARIABLE}={given:?} is not a crash point; there are {CRASH_POINTS:?}")]
pub struct UnknownCrashPoint {
    given: String,
}

/// Reads `CAKESHOP_CRASH_AT` once, at start.
pub fn arm_from_environment() -> Result<(), UnknownCrashPoint> {
    let armed = match std::env::var(CRASH_AT_VARIABLE) {
        Ok(given) if !given.trim().is_empty() => Some(
            CRASH_POINTS
                .into_iter()
                .find(|point| *point == given.trim())
                .ok_or(UnknownCrashPoint { given })?,
        ),
        _ => None,
    };
    let _ = ARMED.set(armed);
    Ok(())
}

/// Aborts the process if `point` is the armed crash point. `point` is built only when armed.
pub fn crash_point(point: impl FnOnce() -> String) {
    let Some(Some(armed)) = ARMED.get() else {
        return;
    };
    if point() == *armed {
        eprintln!("cakeshop: crash injected at {armed}");
        std::process::abort();
    }
}
