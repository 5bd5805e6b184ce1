//! `schedule:` triggers: a scheduled function runs once at start, then at its rate, and a run
//! that fails or hangs does not stop the next one, as with an EventBridge rule.

use crate::support::{Answer, FakeFunction};
use cakeshop_local::eventbridge::ScheduledRuns;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_scheduled_function_runs_at_start_then_at_its_rate_through_failures() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    // Every other run fails; the second one hangs past the timeout.
    let function = FakeFunction::new(move |_| match counter.fetch_add(1, Ordering::SeqCst) {
        1 => Answer::Hang(Duration::from_secs(5)),
        n if n % 2 == 1 => Answer::Error,
        _ => Answer::Succeed,
    });
    let started = Instant::now();
    ScheduledRuns {
        function: "relay-events".into(),
        every: Duration::from_millis(150),
        timeout: Duration::from_millis(100),
        invoker: function.clone(),
    }
    .start(&cakeshop_local::stopping::Stopping::default());

    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(function.calls().len(), 1, "one run right at start");
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let calls = function.calls();
    assert!(
        calls.len() >= 4,
        "runs went on after a hang and failures: {}",
        calls.len()
    );
    let gaps: Vec<Duration> = calls
        .windows(2)
        .map(|pair| pair[1].batch.at - pair[0].batch.at)
        .collect();
    assert!(
        gaps.iter().all(|gap| *gap >= Duration::from_millis(150)),
        "never sooner than the rate: {gaps:?}"
    );
    assert_eq!(calls[0].batch.function, "relay-events");
    assert_eq!(calls[0].batch.items[0].data, "Scheduled Event");
    assert!(started.elapsed() < Duration::from_secs(3));
}
