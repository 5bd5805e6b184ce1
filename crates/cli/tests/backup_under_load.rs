//! `cakeshop backup` while the shop is busy placing and fulfilling orders, then the machine is
//! lost (the shop killed); `cakeshop restore` into a new data directory and a shop started on
//! it. Every order accepted before the backup began is there, its customer's link still works
//! (the secrets came along), and it completes its journey: the baker's email, and after the
//! baker's confirmation, the delivery call.

use crate::support::{DevProcess, cakeshop, eventually, project_file};
use futures::future::join_all;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An accepted order: its id and its customer's token.
type Accepted = Arc<Mutex<Vec<(String, String)>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_under_load_restores_every_order_accepted_before_it() {
    let data = tempfile::tempdir().expect("temp dir");
    let config = project_file("serverless.yml");
    let mut shop = DevProcess::start(data.path(), &config);
    shop.make_room().await;
    let accepted: Accepted = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));

    // Four clients place orders and fulfil every other one, without a pause.
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let (http, base, key) = (shop.http.clone(), shop.base.clone(), shop.baker_key.clone());
            let (accepted, stop) = (Arc::clone(&accepted), Arc::clone(&stop));
            tokio::spawn(async move {
                for n in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let order =
                        json!({ "name": format!("B{client}-{n}"), "address": "1 Lane", "productId": 3, "quantity": 1 });
                    let Ok(placed) = http.post(format!("{base}/order")).json(&order).send().await else {
                        break;
                    };
                    if placed.status() != 201 {
                        continue;
                    }
                    let placed: Value = placed.json().await.unwrap_or_default();
                    let (Some(id), Some(token)) = (placed["orderId"].as_str(), placed["customerToken"].as_str()) else {
                        continue;
                    };
                    if let Ok(mut accepted) = accepted.lock() {
                        accepted.push((id.to_owned(), token.to_owned()));
                    }
                    if n % 2 == 0 {
                        let _ = http
                            .post(format!("{base}/order/fulfilled"))
                            .bearer_auth(&key)
                            .json(&json!({ "orderId": id }))
                            .send()
                            .await;
                    }
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before: Vec<(String, String)> = accepted.lock().expect("accepted").clone();
    let out = tempfile::tempdir().expect("temp dir");
    let file = out.path().join("shop.backup");
    let file_arg = file.to_string_lossy().into_owned();
    let data_arg = data.path().to_string_lossy().into_owned();
    let printed = tokio::task::spawn_blocking(move || cakeshop(&["backup", &file_arg, "--data-dir", &data_arg]))
        .await
        .expect("backup ran");
    // The load goes on past the backup; then the machine is lost.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let during = accepted.lock().expect("accepted").len();
    shop.kill();
    stop.store(true, Ordering::SeqCst);
    join_all(clients).await;
    assert!(before.len() >= 20, "the load was under way ({} orders)", before.len());
    assert!(during > before.len(), "orders went on being placed during the backup");

    let restored = tempfile::tempdir().expect("temp dir");
    let restored_dir = restored.path().join("shop");
    let restored_arg = restored_dir.to_string_lossy().into_owned();
    let file_arg = file.to_string_lossy().into_owned();
    cakeshop(&["restore", &file_arg, "--data-dir", &restored_arg]);
    let shop = DevProcess::start(&restored_dir, &config);

    let mut missing = Vec::new();
    let mut to_fulfil = Vec::new();
    for (id, token) in &before {
        let (status, order) = shop.get(&format!("/order/{id}"), Some(token)).await;
        match (status, order["status"].as_str()) {
            (200, Some("placed")) => to_fulfil.push(id.clone()),
            (200, _) => {}
            _ => missing.push(format!("{id}: {status} {order}")),
        }
    }
    assert!(
        missing.is_empty(),
        "orders accepted before the backup, not restored (of {}): {missing:?}",
        before.len()
    );
    for id in &to_fulfil {
        let (status, body) = shop
            .post("/order/fulfilled", Some(&shop.baker_key), &json!({ "orderId": id }))
            .await;
        assert_eq!(status, 200, "fulfilling {id} after the restore: {body}");
    }
    let wanted: HashSet<&String> = before.iter().map(|(id, _)| id).collect();
    eventually("the baker's email for every order", Duration::from_secs(90), || async {
        let emailed: HashSet<String> = shop
            .mail()
            .await
            .iter()
            .filter_map(|email| email["orderId"].as_str().map(str::to_owned))
            .collect();
        wanted.iter().all(|id| emailed.contains(*id)).then_some(())
    })
    .await;
    eventually("a delivery call for every order", Duration::from_secs(90), || async {
        let delivered: HashSet<String> = shop
            .partner_calls("delivery")
            .await
            .iter()
            .filter_map(|call| call["body"]["orderId"].as_str().map(str::to_owned))
            .collect();
        wanted.iter().all(|id| delivered.contains(*id)).then_some(())
    })
    .await;
    println!(
        "{} | {} orders accepted before the backup, {} by the time it finished; all restored, emailed and delivered ({} fulfilled after the restore)",
        printed.trim(),
        before.len(),
        during,
        to_fulfil.len()
    );
}
