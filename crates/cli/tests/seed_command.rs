//! `cakeshop seed`: fills an empty data dir, refuses one that holds orders unless `--append`,
//! and leaves a store that `cakeshop dev` serves.

use std::path::Path;
use std::process::{Command, Output};

fn seed(data_dir: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cakeshop"))
        .args(["seed", "--orders", "300", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .output()
        .expect("cakeshop runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn seeds_an_empty_store_and_adds_to_one_only_when_told() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = seed(dir.path(), &[]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let report = text(&first.stdout);
    assert!(
        report.contains("seeded 300 orders in")
            && report.contains("the store holds 300 orders in")
            && report.contains("MiB"),
        "{report}"
    );

    let refused = seed(dir.path(), &[]);
    assert!(!refused.status.success(), "a store with orders is refused");
    assert!(text(&refused.stderr).contains("--append"), "{}", text(&refused.stderr));

    let appended = seed(dir.path(), &["--append"]);
    assert!(appended.status.success(), "{}", text(&appended.stderr));
    assert!(
        text(&appended.stdout).contains("the store holds 600 orders"),
        "{}",
        text(&appended.stdout)
    );
}
