//! `cakeshop dev` on a small filesystem that fills up: writes are refused with `503
//! storage_full` and `Retry-After` (never a 500, never a success that was not kept), reads keep
//! working, and once space returns writes resume by themselves and every order accepted before
//! reaches the baker.
//!
//! The filesystem is a tmpfs this test mounts: directly when it may (root), otherwise in a user
//! and mount namespace of its own (`unshare`), where it re-runs itself.

use crate::support::{DevProcess, eventually, project_file};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TEST_NAME: &str = "writes_are_refused_with_503_while_the_disk_is_full_and_resume_when_space_returns";
const IN_NAMESPACE: &str = "CAKESHOP_TEST_IN_MOUNT_NAMESPACE";

/// A tmpfs of `megabytes`, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "cakeshop-test"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        mounted.then(|| SmallDisk {
            path: dir.path().to_owned(),
            _dir: dir,
        })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// Fills `disk` to within `spare` bytes of full with one file, which deleting frees again.
fn fill(disk: &Path, spare: u64) -> PathBuf {
    let filler = disk.join("filler");
    let free = fs_free_bytes(disk);
    let file = std::fs::File::create(&filler).expect("filler");
    // Written, not sparse: tmpfs counts only pages that hold data.
    let chunk = vec![0xA5u8; 64 * 1024];
    let mut left = free.saturating_sub(spare);
    let mut writer = std::io::BufWriter::new(file);
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        if std::io::Write::write_all(&mut writer, &chunk[..n]).is_err() {
            break;
        }
        left -= n as u64;
    }
    let _ = std::io::Write::flush(&mut writer);
    filler
}

fn fs_free_bytes(path: &Path) -> u64 {
    let output = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(path)
        .output()
        .expect("df");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .nth(1)
        .and_then(|line| line.trim().parse().ok())
        .expect("df prints the free bytes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_are_refused_with_503_while_the_disk_is_full_and_resume_when_space_returns() {
    let Some(disk) = SmallDisk::mount(16) else {
        assert!(
            std::env::var_os(IN_NAMESPACE).is_none(),
            "cannot mount a tmpfs even in a mount namespace of its own"
        );
        let status = Command::new("unshare")
            .args(["--user", "--map-root-user", "--mount", "--"])
            .arg(std::env::current_exe().expect("this test"))
            .args(["--exact", TEST_NAME, "--nocapture"])
            .env(IN_NAMESPACE, "1")
            .status()
            .expect("unshare runs this test in a namespace of its own (util-linux)");
        assert!(status.success(), "the test in its own mount namespace failed");
        return;
    };
    let data = disk.path.join("shop");
    let shop = DevProcess::start(&data, &project_file("serverless.yml"));
    shop.make_room().await;
    let (status, first) = shop.place("Before the disk filled").await;
    assert_eq!(status, 201, "{first}");
    let mut accepted = vec![first["orderId"].as_str().expect("id").to_owned()];

    let filler = fill(&disk.path, 256 * 1024);
    let mut refusals = 0;
    for n in 0..5_000 {
        let body =
            serde_json::json!({ "name": format!("Customer {n}"), "address": "1 Lane", "productId": 2, "quantity": 1 });
        let response = shop
            .http
            .post(format!("{}/order", shop.base))
            .json(&body)
            .send()
            .await
            .expect("an answer");
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").cloned();
        let answer: serde_json::Value = response.json().await.expect("JSON");
        match status {
            201 => accepted.push(answer["orderId"].as_str().expect("id").to_owned()),
            503 => {
                assert_eq!(answer["error"]["code"], "storage_full", "{answer}");
                assert!(retry_after.is_some(), "a 503 says when to retry");
                refusals += 1;
                if refusals == 20 {
                    break;
                }
            }
            other => panic!("a full disk answered {other}: {answer}"),
        }
    }
    assert_eq!(refusals, 20, "the disk filled up ({} orders accepted)", accepted.len());

    // Reads keep working while nothing can be written.
    for order_id in &accepted {
        let (status, order) = shop.get(&format!("/order/{order_id}"), Some(&shop.baker_key)).await;
        assert_eq!(
            status, 200,
            "an accepted order reads back while the disk is full: {order}"
        );
    }
    let (status, _) = shop.get("/", None).await;
    assert_eq!(status, 200, "the storefront still shows");

    std::fs::remove_file(&filler).expect("space returns");
    let resumed = eventually(
        "a write to succeed once space returned",
        Duration::from_secs(30),
        || async {
            let (status, order) = shop.place("After space returned").await;
            (status == 201).then_some(order)
        },
    )
    .await;
    accepted.push(resumed["orderId"].as_str().expect("id").to_owned());

    eventually(
        "every accepted order's email to the baker",
        Duration::from_secs(60),
        || async {
            let mail = shop.mail().await;
            accepted
                .iter()
                .all(|id| mail.iter().any(|email| email["orderId"] == id.as_str()))
                .then_some(())
        },
    )
    .await;
    println!(
        "{} orders accepted around a full disk, {refusals} refused with 503; all reached the baker",
        accepted.len()
    );
}
