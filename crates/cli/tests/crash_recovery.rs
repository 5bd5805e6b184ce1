//! `cakeshop dev` killed with SIGKILL in the middle of a burst of orders, then started again on
//! the same data directory: every order that was accepted (answered 201) is still there and
//! reaches the baker, and no email is sent twice.

use crate::support::{DevProcess, eventually, project_file};
use futures::future::join_all;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_accepted_order_is_lost_and_no_email_is_sent_twice_across_a_sigkill() {
    let data = tempfile::tempdir().expect("temp dir");
    let config = project_file("serverless.yml");
    let mut shop = DevProcess::start(data.path(), &config);
    shop.make_room().await;
    let http = shop.http.clone();
    let base = shop.base.clone();
    let killed = Arc::new(AtomicBool::new(false));

    // Eight clients place orders as fast as they can until the process dies under them.
    let clients = (0..8).map(|client| {
        let (http, base, killed) = (http.clone(), base.clone(), Arc::clone(&killed));
        tokio::spawn(async move {
            let mut accepted = Vec::new();
            for n in 0..10_000u32 {
                if killed.load(Ordering::SeqCst) && n.is_multiple_of(50) {
                    break;
                }
                let body = serde_json::json!({ "name": format!("C{client}-{n}"), "address": "1 Lane", "productId": 3, "quantity": 1 });
                match http.post(format!("{base}/order")).json(&body).send().await {
                    Ok(response) if response.status() == 201 => {
                        let placed: serde_json::Value = response.json().await.unwrap_or_default();
                        if let Some(id) = placed["orderId"].as_str() {
                            accepted.push(id.to_owned());
                        }
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            accepted
        })
    });
    let clients: Vec<_> = clients.collect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    shop.kill();
    killed.store(true, Ordering::SeqCst);
    let accepted: Vec<String> = join_all(clients)
        .await
        .into_iter()
        .flat_map(|r| r.unwrap_or_default())
        .collect();
    assert!(
        accepted.len() >= 50,
        "the burst was under way when the process died ({} accepted)",
        accepted.len()
    );

    let shop = DevProcess::start(data.path(), &config);
    let mut stored = 0;
    for order_id in &accepted {
        let (status, _) = shop.get(&format!("/order/{order_id}"), Some(&shop.baker_key)).await;
        stored += usize::from(status == 200);
    }
    assert_eq!(stored, accepted.len(), "every accepted order survived the kill");

    let emails = eventually("an email for every accepted order", Duration::from_secs(30), || async {
        let mail = shop.mail().await;
        let mut per_order: HashMap<String, usize> = HashMap::new();
        for email in &mail {
            *per_order
                .entry(email["orderId"].as_str().unwrap_or_default().to_owned())
                .or_default() += 1;
        }
        accepted
            .iter()
            .all(|id| per_order.contains_key(id))
            .then_some(per_order)
    })
    .await;
    let twice: Vec<_> = emails.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "emails sent more than once: {twice:?}");
    println!(
        "{} orders accepted before the kill; all stored, each emailed once after restart",
        accepted.len()
    );
}
