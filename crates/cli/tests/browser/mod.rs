//! Headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`, which
//! tools/test installs): a chromedriver on a free loopback port, one browser session, both
//! stopped when dropped.

// Each test binary uses part of it.
#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The width of a small phone, which every page must work at.
pub const PHONE_WIDTH: u32 = 375;

pub struct Browser {
    driver: Child,
    driver_url: String,
    pub client: Client,
}

impl Browser {
    /// A headless Chromium, `PHONE_WIDTH` wide, that keeps its console for `console`.
    pub async fn start() -> Browser {
        Browser::start_sized(PHONE_WIDTH, 812).await
    }

    /// A headless Chromium with a viewport `width` by `height` CSS pixels.
    pub async fn start_sized(width: u32, height: u32) -> Browser {
        let program = std::env::var("CAKESHOP_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(&program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("starting {program} (tools/test installs chromium-driver): {error}"));
        let driver_url = format!("http://127.0.0.1:{port}");
        wait_until_up(&driver_url).await;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions", "--disable-background-networking",
            ],
            // A desktop window cannot be made this narrow; an emulated phone's viewport can.
            "mobileEmulation": { "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1 } },
            }),
        );
        capabilities.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::rustls()
            .expect("a TLS setup")
            .capabilities(capabilities)
            .connect(&driver_url)
            .await
            .expect("a browser session");
        Browser {
            driver,
            driver_url,
            client,
        }
    }

    /// Everything the page printed to its console since the last call, Content-Security-Policy
    /// violations included (Chromium reports each there).
    pub async fn console(&self) -> Vec<Value> {
        let session = self.client.session_id().await.ok().flatten().expect("a session id");
        let answer: Value = reqwest::Client::new()
            .post(format!("{}/session/{session}/se/log", self.driver_url))
            .json(&json!({ "type": "browser" }))
            .send()
            .await
            .expect("the driver answers")
            .json()
            .await
            .expect("JSON");
        answer["value"].as_array().cloned().unwrap_or_default()
    }

    /// The serious and critical accessibility violations axe-core finds on the page.
    pub async fn accessibility_violations(&self) -> Vec<Value> {
        let axe = std::fs::read_to_string(super::support::project_file("node_modules/axe-core/axe.min.js"))
            .expect("axe-core (tools/test installs it with npm ci)");
        self.client.execute(&axe, vec![]).await.expect("axe loads");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(result => done(result.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.html) }))))
                   .catch(error => done([{ id: 'axe failed', help: String(error) }]));",
                vec![],
            )
            .await
            .expect("axe runs");
        found.as_array().cloned().unwrap_or_default()
    }

    /// Ends the session (its Chromium exits with it), then the driver.
    pub async fn stop(self) {
        let _ = self.client.clone().close().await;
    }

    /// The page's width in CSS pixels and how wide its content is: equal when nothing overflows.
    pub async fn widths(&self) -> (u64, u64) {
        let widths = self
            .client
            .execute(
                "return [document.documentElement.clientWidth, document.documentElement.scrollWidth];",
                vec![],
            )
            .await
            .expect("script");
        (widths[0].as_u64().unwrap_or(0), widths[1].as_u64().unwrap_or(0))
    }
}

async fn wait_until_up(driver_url: &str) {
    let started = Instant::now();
    let http = reqwest::Client::new();
    loop {
        if let Ok(response) = http.get(format!("{driver_url}/status")).send().await
            && response.status().is_success()
        {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
