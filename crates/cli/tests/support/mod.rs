//! A real `cakeshop dev` process for end-to-end tests: started on a free port with its own data
//! directory, driven over HTTP, killed when dropped.
#![allow(dead_code)]

use cakeshop_test_support::MotoServer;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn project_file(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(name)
}

pub struct DevProcess {
    child: Child,
    pub base: String,
    pub baker_key: String,
    pub http: reqwest::Client,
    /// With `--backend aws`: the emulator, whose SES holds the emails.
    moto_endpoint: Option<String>,
}

impl DevProcess {
    /// Starts `cakeshop dev --port 0` on `data_dir` and waits for its banner.
    pub fn start(data_dir: &Path, config: &Path) -> DevProcess {
        DevProcess::launch(data_dir, config, &[], None)
    }

    /// Starts `cakeshop dev --backend aws --provision` against the emulator.
    pub fn start_on_aws(data_dir: &Path, config: &Path, moto: &MotoServer) -> DevProcess {
        DevProcess::launch(
            data_dir,
            config,
            &["--backend", "aws", "--provision", "--stage", "e2e"],
            Some(moto),
        )
    }

    fn launch(data_dir: &Path, config: &Path, extra: &[&str], moto: Option<&MotoServer>) -> DevProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cakeshop"));
        command
            .args(["dev", "--port", "0", "--data-dir"])
            .arg(data_dir)
            .arg("--config")
            .arg(config)
            .args(extra);
        for (name, value) in moto.map(MotoServer::env).unwrap_or_default() {
            command.env(name, value);
        }
        let mut child = command
            .env("CAKESHOP_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cakeshop starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut base = String::new();
        let mut baker_key = String::new();
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.expect("banner line");
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["HTTP", "API", url, ..] => base = url.to_string(),
                ["baker", "key", key, ..] => baker_key = key.to_string(),
                ["ready"] => break,
                _ => {}
            }
        }
        assert!(
            !base.is_empty() && !baker_key.is_empty(),
            "the banner names the address and the baker key"
        );
        // Keep reading so that the process never writes to a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        DevProcess {
            child,
            base,
            baker_key,
            http,
            moto_endpoint: moto.map(|m| m.endpoint.clone()),
        }
    }

    /// SIGKILL: no chance to flush or say goodbye.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub async fn post(&self, path: &str, bearer: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        answer(request.send().await).await
    }

    pub async fn get(&self, path: &str, bearer: Option<&str>) -> (u16, Value) {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        answer(request.send().await).await
    }

    pub async fn place(&self, name: &str) -> (u16, Value) {
        let body = json!({ "name": name, "address": "1 Test Lane", "productId": "lemon-drizzle", "quantity": 2 });
        self.post("/order", None, &body).await
    }

    /// Every email sent, as `{orderId, subject, text}`: from the local mailbox, or from the
    /// emulator's SES (which keeps the HTML part as the body).
    pub async fn mail(&self) -> Vec<Value> {
        let Some(moto) = &self.moto_endpoint else {
            return list(self.get("/_local/mail", None).await);
        };
        let data: Value = match self.http.get(format!("{moto}/moto-api/data.json")).send().await {
            Ok(response) => response.json().await.unwrap_or_default(),
            Err(_) => Value::Null,
        };
        let messages = data["ses"]["Message"].as_array().cloned().unwrap_or_default();
        messages
            .into_iter()
            .map(|message| {
                let subject = message["subject"].as_str().unwrap_or_default().to_owned();
                let order_id = subject
                    .strip_prefix("New order ")
                    .and_then(|rest| rest.split(':').next())
                    .unwrap_or_default();
                json!({ "orderId": order_id, "subject": subject, "text": message["body"] })
            })
            .collect()
    }

    pub async fn partner_calls(&self, partner: &str) -> Vec<Value> {
        list(self.get(&format!("/_local/partners/{partner}"), None).await)
    }
}

impl Drop for DevProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn answer(result: reqwest::Result<reqwest::Response>) -> (u16, Value) {
    match result {
        Ok(response) => {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
        }
        Err(error) => (0, Value::String(error.to_string())),
    }
}

fn list((status, body): (u16, Value)) -> Vec<Value> {
    assert_eq!(status, 200, "{body}");
    body.as_array().cloned().unwrap_or_default()
}

/// Polls `check` until it returns `Some`, or fails the test after `limit`.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            started.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
