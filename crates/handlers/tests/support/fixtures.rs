//! The sample events in `events/`. Inputs written by hand are read; samples that one handler's
//! output produces are checked against what it produced, so the chain stays true. Run the
//! tests with `UPDATE_FIXTURES=1` to rewrite the produced samples after a deliberate change.

use serde_json::Value;
use std::path::PathBuf;

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../events")
        .join(name)
}

pub fn read(name: &str) -> Value {
    let path = path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Asserts that the sample `name` is exactly `produced` (or rewrites it when asked to).
pub fn check(name: &str, produced: &Value) {
    let path = path(name);
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        let text = serde_json::to_string_pretty(produced).unwrap_or_default() + "\n";
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        return;
    }
    let stored = read(name);
    assert!(
        &stored == produced,
        "events/{name} is not what the previous handler produced; if the change is deliberate, \
         rerun with UPDATE_FIXTURES=1.\nstored:   {stored}\nproduced: {produced}"
    );
}
