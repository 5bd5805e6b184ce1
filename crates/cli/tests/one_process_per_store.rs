//! One process per store: a second `cakeshop dev` on a data directory that a running one holds
//! refuses at once, naming the holder, and exits non-zero; the first carries on.

use crate::support::{DevProcess, project_file};
use std::process::Command;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_second_shop_on_the_same_data_directory_refuses_naming_the_first() {
    let data = tempfile::tempdir().expect("temp dir");
    let config = project_file("serverless.yml");
    let first = DevProcess::start(data.path(), &config);

    let started = Instant::now();
    let mut second = Command::new(env!("CARGO_BIN_EXE_cakeshop"))
        .args(["dev", "--port", "0", "--console-port", "0", "--data-dir"])
        .arg(data.path())
        .arg("--config")
        .arg(&config)
        .env("CAKESHOP_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("cakeshop starts");
    let status = loop {
        if let Some(status) = second.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = second.kill();
            panic!("a second shop on the same data directory kept running");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = second.wait_with_output().expect("output");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!status.success(), "it exits non-zero: {said}");
    assert!(
        said.contains(&format!("pid {}", first.pid())) && said.contains(&first.base),
        "it names the holder's pid and address: {said}"
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).is_empty(),
        "it prints no banner of its own"
    );

    let (status, _) = first.place("Ada").await;
    assert_eq!(status, 201, "the first shop carries on");
}
