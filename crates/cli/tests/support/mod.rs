//! A real `cakeshop dev` process for end-to-end tests: started on free ports with its own data
//! directory, driven over HTTP (the public surface at `base`, the operator's at `console`),
//! killed when dropped.
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

/// The weekday names `perWeekday` takes, as the domain lists them.
pub const WEEKDAYS: [&str; 7] = weekday_names();

const fn weekday_names() -> [&'static str; 7] {
    let days = &cakeshop_domain::capacity::WEEKDAYS;
    [
        days[0].1, days[1].1, days[2].1, days[3].1, days[4].1, days[5].1, days[6].1,
    ]
}

pub struct DevProcess {
    child: Child,
    /// The public surface: the API and the pages.
    pub base: String,
    /// The operator surface: the console, the mailbox feed and the partner stand-ins.
    pub console: String,
    pub baker_key: String,
    /// What it printed on starting, up to `ready`.
    pub banner: Vec<String>,
    pub http: reqwest::Client,
    /// With `--backend aws`: the emulator, whose SES holds the emails.
    moto_endpoint: Option<String>,
}

impl DevProcess {
    /// Starts `cakeshop dev --port 0 --console-port 0` on `data_dir` and waits for its banner.
    pub fn start(data_dir: &Path, config: &Path) -> DevProcess {
        DevProcess::launch(data_dir, config, &[], None)
    }

    /// Starts the local backend with extra arguments and environment variables.
    pub fn start_with(data_dir: &Path, config: &Path, args: &[&str], env: &[(&str, &str)]) -> DevProcess {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        DevProcess::launch_with(data_dir, config, args, &env)
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
        let env: Vec<(String, String)> = moto
            .map(|m| m.env().into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            .unwrap_or_default();
        let mut shop = DevProcess::launch_with(data_dir, config, extra, &env);
        shop.moto_endpoint = moto.map(|m| m.endpoint.clone());
        shop
    }

    fn launch_with(data_dir: &Path, config: &Path, extra: &[&str], env: &[(String, String)]) -> DevProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cakeshop"));
        command.args(["dev", "--console-port", "0"]);
        // --listen takes the place of --port.
        if !extra.contains(&"--listen") {
            command.args(["--port", "0"]);
        }
        command
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--config")
            .arg(config)
            .args(extra)
            // Most tests drive many orders from one address; those about limits set their own.
            .env("CLIENT_LIMITS", "off");
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .env("CAKESHOP_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cakeshop starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut banner = Vec::new();
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.expect("banner line");
            let ready = line.trim() == "ready";
            banner.push(line);
            if ready {
                break;
            }
        }
        let Banner {
            base,
            console,
            baker_key,
        } = Banner::read(&banner)
            .unwrap_or_else(|| panic!("the banner names both addresses and the baker key: {banner:?}"));
        // Keep reading so that the process never writes to a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        DevProcess {
            child,
            base,
            console,
            baker_key,
            banner,
            http,
            moto_endpoint: None,
        }
    }

    /// Waits up to `limit` for the process to end by itself (e.g. at an injected crash point).
    pub fn exits_within(&mut self, limit: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < limit {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// SIGTERM, as a service manager stops a service.
    pub fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM was sent");
    }

    /// Waits up to `limit` for the process to end, and says how it ended.
    pub fn exit_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
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

    pub async fn put_as(&self, path: &str, bearer: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self.http.put(format!("{}{path}", self.base)).json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        answer(request.send().await).await
    }

    /// Every day takes far more cakes than a test places, for tests about something else.
    pub async fn make_room(&self) {
        let every_day: serde_json::Map<String, Value> = WEEKDAYS
            .iter()
            .map(|day| ((*day).to_owned(), json!(1_000_000)))
            .collect();
        let (status, body) = self
            .put_as("/capacity", Some(&self.baker_key), &json!({ "perWeekday": every_day }))
            .await;
        assert_eq!(status, 200, "PUT /capacity: {body}");
    }

    pub async fn place(&self, name: &str) -> (u16, Value) {
        let body = json!({ "name": name, "address": "1 Test Lane", "productId": 2, "quantity": 2 });
        self.post("/order", None, &body).await
    }

    /// The baker marks `order_id` ready, with the baker key.
    pub async fn fulfil(&self, order_id: &str) -> (u16, Value) {
        self.post(
            "/order/fulfilled",
            Some(&self.baker_key),
            &json!({ "orderId": order_id }),
        )
        .await
    }

    /// Every email sent, as `{orderId, subject, text}`: from the local mailbox, or from the
    /// emulator's SES (which keeps the HTML part as the body).
    pub async fn mail(&self) -> Vec<Value> {
        let Some(moto) = &self.moto_endpoint else {
            return list(self.console_get("/_local/mail").await);
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
        list(self.console_get(&format!("/_local/partners/{partner}")).await)
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

/// What the tests read from the banner: where each surface is, and the baker key.
struct Banner {
    base: String,
    console: String,
    baker_key: String,
}

impl Banner {
    fn read(lines: &[String]) -> Option<Banner> {
        let value = |first: &str, second: Option<&str>| {
            lines.iter().find_map(|line| {
                let words: Vec<&str> = line.split_whitespace().collect();
                match (words.as_slice(), second) {
                    ([a, b, value, ..], Some(second)) if *a == first && *b == second => Some(value.to_string()),
                    ([a, value, ..], None) if *a == first => Some(value.to_string()),
                    _ => None,
                }
            })
        };
        let console = value("console", None)?;
        Some(Banner {
            base: value("HTTP", Some("API"))?,
            // The console's line gives its page; the operator surface is the URL before it.
            console: console.strip_suffix("/_local/").unwrap_or(&console).to_owned(),
            baker_key: value("baker", Some("key"))?,
        })
    }
}

impl DevProcess {
    /// The operator surface's port, for commands that should reach its partner stand-ins
    /// (`cakeshop dlq redrive --console-port`).
    pub fn console_port(&self) -> String {
        self.console.rsplit(':').next().unwrap_or_default().to_owned()
    }

    /// A GET on the operator surface (the console, the mailbox feed, the stand-ins).
    pub async fn console_get(&self, path: &str) -> (u16, Value) {
        answer(self.http.get(format!("{}{path}", self.console)).send().await).await
    }

    pub async fn console_put(&self, path: &str, body: &Value) -> (u16, Value) {
        answer(self.http.put(format!("{}{path}", self.console)).json(body).send().await).await
    }

    pub async fn console_delete(&self, path: &str) -> (u16, Value) {
        answer(self.http.delete(format!("{}{path}", self.console)).send().await).await
    }
}

/// Runs `cakeshop <args>` (the real binary) to its end; fails the test unless it succeeds.
pub fn cakeshop(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_cakeshop"))
        .args(args)
        .env("CAKESHOP_LOG", "warn")
        .output()
        .expect("cakeshop runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "cakeshop {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// What a `cakeshop dev` started by [`DevProcess::start_logging`] printed: every stdout line
/// (the banner) and the file its stderr (the logs) goes to.
pub struct CapturedOutput {
    pub stdout: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub log_file: PathBuf,
}

impl CapturedOutput {
    pub fn stdout(&self) -> String {
        self.stdout.lock().map(|lines| lines.join("\n")).unwrap_or_default()
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_file).unwrap_or_default()
    }
}

impl DevProcess {
    /// Starts the local backend with `CAKESHOP_LOG=<filter>` and no secrets in the environment
    /// (so it makes its own in the data directory), keeping its stdout and its logs apart.
    pub fn start_logging(data_dir: &Path, config: &Path, filter: &str) -> (DevProcess, CapturedOutput) {
        DevProcess::start_logging_on(data_dir, config, filter, None)
    }

    /// `start_logging`, on the AWS backend against `moto` when given one (as `start_on_aws`).
    pub fn start_logging_on(
        data_dir: &Path,
        config: &Path,
        filter: &str,
        moto: Option<&MotoServer>,
    ) -> (DevProcess, CapturedOutput) {
        let log_file = data_dir.join("cakeshop-stderr.log");
        let log = std::fs::File::create(&log_file).expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_cakeshop"));
        command
            .args(["dev", "--port", "0", "--console-port", "0", "--data-dir"])
            .arg(data_dir)
            .arg("--config")
            .arg(config);
        if let Some(moto) = moto {
            command.args(["--backend", "aws", "--provision", "--stage", "e2e"]);
            command.envs(moto.env());
        }
        let mut child = command
            .env("CAKESHOP_LOG", filter)
            .env_remove("SIGNING_SECRET")
            .env_remove("BAKER_API_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("cakeshop starts");
        let stdout = child.stdout.take().expect("stdout");
        let printed = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (ready, banner_done) = std::sync::mpsc::channel();
        let keep = std::sync::Arc::clone(&printed);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let is_ready = line.trim() == "ready";
                keep.lock().expect("stdout lines").push(line);
                if is_ready {
                    let _ = ready.send(());
                }
            }
        });
        let started = banner_done.recv_timeout(Duration::from_secs(60)).is_ok();
        let banner = printed.lock().expect("stdout lines").clone();
        let Some(Banner {
            base,
            console,
            baker_key,
        }) = Banner::read(&banner)
        else {
            let _ = child.kill();
            panic!("no banner (started: {started}): {banner:?}");
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        let shop = DevProcess {
            child,
            base,
            console,
            baker_key,
            banner,
            http,
            moto_endpoint: moto.map(|m| m.endpoint.clone()),
        };
        (
            shop,
            CapturedOutput {
                stdout: printed,
                log_file,
            },
        )
    }
}

/// A copy of the project's `serverless.yml` in `dir`, with `queue`'s visibility timeout set.
pub fn with_visibility_timeout(dir: &Path, queue: &str, seconds: u64) -> PathBuf {
    let text = std::fs::read_to_string(project_file("serverless.yml")).expect("serverless.yml");
    let section = text.find(&format!("\n    {queue}:\n")).expect("the queue's resource");
    let setting = section
        + text[section..]
            .find("VisibilityTimeout:")
            .expect("its visibility timeout");
    let line_end = setting + text[setting..].find('\n').expect("a line end");
    let changed = format!("{}VisibilityTimeout: {seconds}{}", &text[..setting], &text[line_end..]);
    let path = dir.join("serverless.yml");
    std::fs::write(&path, changed).expect("write the copy");
    path
}

/// The queue feeding notify-delivery, as `serverless.yml` wires it.
pub struct DeliveryQueue {
    pub name: String,
    pub dead_letters: String,
    pub max_receive_count: u32,
    pub visibility_seconds: u64,
}

pub fn delivery_queue(config: &Path) -> DeliveryQueue {
    let wiring = cakeshop_local::serverless::read_serverless_yml(config).expect("usable wiring");
    let function = wiring.function("notify-delivery").expect("notify-delivery");
    let Some(cakeshop_local::serverless::Trigger::Queue(mapping)) = &function.trigger else {
        panic!("notify-delivery is fed by a queue");
    };
    let spec = wiring.queue(&mapping.queue).expect("the delivery queue");
    let redrive = spec
        .redrive
        .as_ref()
        .expect("the delivery queue has a dead-letter queue");
    DeliveryQueue {
        name: spec.logical_id.clone(),
        dead_letters: redrive.dead_letter_queue.clone(),
        max_receive_count: redrive.max_receive_count,
        visibility_seconds: spec.visibility_timeout_seconds,
    }
}
