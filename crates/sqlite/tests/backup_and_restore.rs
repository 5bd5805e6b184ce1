//! Backups of the embedded store: a copy taken while the store is open holds everything
//! committed and the data directory's files (a backup under load, with orders still in the
//! log, is `cakeshop backup`'s test in the cli); a restore refuses anything but an empty data directory and anything but a backup,
//! and writes nothing when it refuses.

use cakeshop_sqlite::backup::{BackupError, back_up, restore};
use cakeshop_sqlite::seed::{RealisticOrders, count_orders, seed_orders};
use cakeshop_sqlite::{LOCK_FILE, STORE_FILE, Store};
use std::path::Path;

const SECRETS: &str = "secrets.json";

fn store_with_orders(dir: &Path, orders: usize) -> Store {
    let store = Store::open(dir, 2).expect("store opens");
    let made = RealisticOrders::ending_now(orders, 60_000);
    seed_orders(&store, orders, |n| made.order(n)).expect("orders written");
    std::fs::write(dir.join(SECRETS), r#"{"signingSecret":"s","bakerApiKey":"k"}"#).expect("secrets written");
    store
}

#[test]
fn a_backup_of_an_open_store_restores_every_order_and_the_secrets() {
    let source = tempfile::tempdir().expect("temp dir");
    let store = store_with_orders(source.path(), 300);

    let out = tempfile::tempdir().expect("temp dir");
    let file = out.path().join("shop.backup");
    let copied = back_up(source.path(), &file, &[SECRETS, "absent.json"]).expect("backed up");
    assert_eq!(copied.orders, 300);
    assert_eq!(copied.files, vec![SECRETS.to_owned()]);
    assert!(!out.path().join("shop.backup.partial").exists(), "no partial file left");
    drop(store);

    let target = tempfile::tempdir().expect("temp dir");
    let data_dir = target.path().join("restored");
    let restored = restore(&file, &data_dir, &[LOCK_FILE]).expect("restored");
    assert_eq!(restored.orders, 300);
    let secrets = data_dir.join(SECRETS);
    assert_eq!(
        std::fs::read_to_string(&secrets).expect("secrets restored"),
        r#"{"signingSecret":"s","bakerApiKey":"k"}"#
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secrets).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o077, 0, "secrets readable by their owner only");
    }
    let reopened = Store::open(&data_dir, 2).expect("restored store opens");
    assert_eq!(count_orders(&reopened).expect("counted"), 300);
}

#[test]
fn restore_refuses_a_data_directory_that_holds_anything() {
    let source = tempfile::tempdir().expect("temp dir");
    let _store = store_with_orders(source.path(), 3);
    let out = tempfile::tempdir().expect("temp dir");
    let file = out.path().join("shop.backup");
    back_up(source.path(), &file, &[SECRETS]).expect("backed up");

    let target = tempfile::tempdir().expect("temp dir");
    std::fs::write(target.path().join("notes.txt"), "mine").expect("written");
    let refused = restore(&file, target.path(), &[LOCK_FILE]);
    assert!(matches!(refused, Err(BackupError::NotEmpty { .. })), "{refused:?}");
    let names: Vec<_> = std::fs::read_dir(target.path())
        .expect("listed")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec!["notes.txt"], "nothing written");
}

#[test]
fn backup_refuses_to_overwrite_and_restore_refuses_what_is_not_a_backup() {
    let source = tempfile::tempdir().expect("temp dir");
    let _store = store_with_orders(source.path(), 3);
    let out = tempfile::tempdir().expect("temp dir");
    let file = out.path().join("shop.backup");
    std::fs::write(&file, "an old file").expect("written");
    let refused = back_up(source.path(), &file, &[SECRETS]);
    assert!(matches!(refused, Err(BackupError::Exists { .. })), "{refused:?}");
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), "an old file");

    // The store file itself is a database, but not a backup.
    let target = tempfile::tempdir().expect("temp dir");
    let refused = restore(&source.path().join(STORE_FILE), target.path(), &[LOCK_FILE]);
    assert!(matches!(refused, Err(BackupError::NotABackup { .. })), "{refused:?}");
    let refused = restore(&file, target.path(), &[LOCK_FILE]);
    assert!(refused.is_err(), "a text file is refused");
    assert!(
        cakeshop_sqlite::backup::inspect(&file).is_err(),
        "a text file is no backup"
    );
    assert_eq!(
        std::fs::read_dir(target.path()).expect("listed").count(),
        0,
        "nothing written"
    );

    let empty = tempfile::tempdir().expect("temp dir");
    let refused = back_up(empty.path(), &out.path().join("none.backup"), &[SECRETS]);
    assert!(matches!(refused, Err(BackupError::NoStore { .. })), "{refused:?}");
}

#[test]
fn a_damaged_backup_is_refused() {
    let source = tempfile::tempdir().expect("temp dir");
    let _store = store_with_orders(source.path(), 200);
    let out = tempfile::tempdir().expect("temp dir");
    let file = out.path().join("shop.backup");
    back_up(source.path(), &file, &[SECRETS]).expect("backed up");
    // Scribble over the middle of the file, past the header.
    let mut bytes = std::fs::read(&file).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle..middle + 4096].fill(0xA5);
    std::fs::write(&file, bytes).expect("written");

    let target = tempfile::tempdir().expect("temp dir");
    let refused = restore(&file, target.path(), &[LOCK_FILE]);
    assert!(
        matches!(
            refused,
            Err(BackupError::Damaged { .. } | BackupError::NotABackup { .. })
        ),
        "{refused:?}"
    );
    assert_eq!(
        std::fs::read_dir(target.path()).expect("listed").count(),
        0,
        "nothing written"
    );
}

#[tokio::test]
async fn messages_being_handled_when_the_backup_was_taken_are_visible_at_once_after_restore() {
    let source = tempfile::tempdir().expect("temp dir");
    let store = store_with_orders(source.path(), 1);
    let queue = cakeshop_sqlite::LocalQueue::new(store.clone(), "delivery");
    queue.send_bodies(["a", "b"]).expect("sent");
    let received = queue.receive(1, 90_000, None).await.expect("received");
    assert_eq!(received.len(), 1, "one message in flight");
    let out = tempfile::tempdir().expect("temp dir");
    let file = out.path().join("shop.backup");
    back_up(source.path(), &file, &[SECRETS]).expect("backed up");

    let target = tempfile::tempdir().expect("temp dir");
    restore(&file, target.path(), &[LOCK_FILE]).expect("restored");
    let restored = Store::open(target.path(), 2).expect("opens");
    let queue = cakeshop_sqlite::LocalQueue::new(restored, "delivery");
    let again = queue.receive(10, 90_000, None).await.expect("received");
    assert_eq!(
        again.len(),
        2,
        "the one in flight does not wait out its 90 s: {again:?}"
    );
}
