//! A few seconds of `cakeshop bench`, every phase included (the embedded store, the AWS backend
//! on moto, and two store sizes), so the bench keeps working: every phase completes work
//! without errors and the JSON carries every figure the README quotes.

use cakeshop_test_support::MotoServer;
use serde_json::Value;
use std::process::Command;

use crate::support;

#[test]
fn a_short_bench_completes_every_phase_without_errors() {
    let out = tempfile::tempdir().expect("temp dir");
    let json = out.path().join("bench.json");
    let moto = MotoServer::binary();
    let output = Command::new(env!("CARGO_BIN_EXE_cakeshop"))
        .args([
            "bench",
            "--seconds",
            "1",
            "--customers",
            "4",
            "--place-rate",
            "50",
            "--compare-aws",
        ])
        .arg("--moto-server")
        .arg(&moto)
        .args(["--scale", "200,2000", "--config"])
        .arg(support::project_file("serverless.yml"))
        .arg("--json")
        .arg(&json)
        .output()
        .expect("cakeshop bench runs");
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{table}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{table}");

    let report: Value = serde_json::from_slice(&std::fs::read(&json).expect("the JSON report")).expect("JSON");
    let phases = report["phases"].as_array().expect("phases");
    assert_eq!(phases.len(), 5, "four embedded phases and one on moto");
    for phase in phases {
        assert!(phase["completed"].as_u64() > Some(0), "{phase}");
        assert_eq!(phase["errors"], 0, "{phase}");
        assert!(phase["placeOrder"]["p99Ms"].as_f64() > Some(0.0), "{phase}");
    }
    for lifecycle in &phases[2..] {
        assert!(
            lifecycle["placeToBakerEmail"]["p99Ms"].as_f64() > Some(0.0),
            "{lifecycle}"
        );
        assert!(lifecycle["lifecycle"]["p99Ms"].as_f64() > Some(0.0), "{lifecycle}");
    }
    assert!(report["embeddedOverEmulator"].as_f64() > Some(0.0));
    assert!(report["serverPeakRssMb"].as_f64() > Some(1.0));
    let scale = report["scale"].as_array().expect("scale points");
    assert_eq!(scale.len(), 2);
    for point in scale {
        for figure in ["getOrder", "openOrdersView", "placeOrder"] {
            assert!(point[figure]["p99Ms"].as_f64() > Some(0.0), "{figure}: {point}");
        }
    }
}
