//! The README's walkthrough, run as written (curl and jq) against a fresh `cakeshop dev`, its
//! two addresses in place of the defaults: a new user following it sees the order placed, the
//! baker's email, the fulfilment, the delivery call, the delivery confirmation, the feedback
//! reaching customer service, and the history; and before it the baker's price and capacity,
//! after it a customer cancelling.

use crate::support::{DevProcess, project_file};

/// The shell block after the walkthrough marker in README.md.
fn walkthrough() -> String {
    let readme = std::fs::read_to_string(project_file("README.md")).expect("README.md");
    let after_marker = readme
        .split("<!-- walkthrough:")
        .nth(1)
        .expect("the walkthrough marker");
    let block = after_marker
        .split("```sh\n")
        .nth(1)
        .expect("a sh block after the marker");
    block.split("\n```").next().expect("the block's end").to_owned()
}

/// Gives every command a moment, as a person typing would (the shop works asynchronously).
fn paced(script: &str) -> String {
    let mut paced = String::new();
    let mut continuing = false;
    for line in script.lines() {
        if !continuing && (line.starts_with("curl") || line.starts_with("ORDER=") || line.starts_with("OTHER=")) {
            paced.push_str("sleep 0.3\n");
        }
        paced.push_str(line);
        paced.push('\n');
        continuing = line.ends_with('\\');
    }
    paced
}

#[test]
fn the_readme_walkthrough_works_as_written() {
    let home = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start(&home.path().join(".cakeshop"), &project_file("serverless.yml"));
    let script = walkthrough();
    for default in ["API=http://127.0.0.1:3000 ", "CONSOLE=http://127.0.0.1:3001 "] {
        assert!(script.contains(default), "the walkthrough uses the default addresses");
    }
    let script = script
        .replace("API=http://127.0.0.1:3000 ", &format!("API={} ", shop.base))
        .replace("CONSOLE=http://127.0.0.1:3001 ", &format!("CONSOLE={} ", shop.console));
    let script = paced(&script);
    let output = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(home.path())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the walkthrough failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "\"status\": \"placed\"",
        "New order",
        "\"fulfilled\"",
        "\"idempotencyKey\": \"delivery:",
        "\"delivered\"",
        "Rich, moist and gone in ten minutes.",
        "\"step\":\"feedback_forwarded\"",
        "\"priceCents\":3600",
        "\"totalCents\": 10800",
        "\"status\":\"cancelled\"",
        "\"booked\":3,\"left\":9",
    ] {
        assert!(stdout.contains(expected), "the walkthrough shows {expected}:\n{stdout}");
    }
    drop(shop);
}
