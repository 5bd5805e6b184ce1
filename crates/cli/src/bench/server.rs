//! The shops under test: `cakeshop dev` processes started from this same executable, on the
//! embedded store or on the AWS backend against a moto_server, with what the report needs from
//! them (addresses, baker key, pid for memory and CPU, data directory for the store size).

use anyhow::{Context, Result, anyhow, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Shop {
    child: Child,
    /// The public surface: the API and the pages.
    pub base: String,
    /// The operator surface: the mailbox feed and the partner stand-ins.
    pub console: String,
    pub baker_key: String,
    pub data_dir: PathBuf,
    /// Emails land in the local mailbox (not in SES).
    pub local_mailbox: bool,
}

/// Every limit at its highest, windows as long as a day.
const BENCH_LIMITS: &str =
    "order=1000000/1d,sign-in=1000000/1d,customer=1000000/1d,token=1000000/1d,recipient=1000000/1d";

impl Shop {
    /// `cakeshop dev` on `data_dir` with `extra` arguments and environment.
    pub fn start(config: &Path, data_dir: &Path, extra: &[&str], env: &[(String, String)]) -> Result<Shop> {
        let exe = std::env::current_exe().context("finding the cakeshop executable")?;
        let mut child = Command::new(exe)
            .args(["dev", "--port", "0", "--console-port", "0", "--data-dir"])
            .arg(data_dir)
            .arg("--config")
            .arg(config)
            .args(extra)
            // Every request still goes through the client limits, so their cost is measured,
            // but the one bench client never reaches them.
            .env("CLIENT_LIMITS", BENCH_LIMITS)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            // Only errors by default: logging every request would be part of what is measured.
            .env(
                "CAKESHOP_LOG",
                std::env::var("CAKESHOP_BENCH_LOG").unwrap_or_else(|_| "error".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting cakeshop dev")?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("no stdout from cakeshop dev"))?;
        let (mut base, mut console, mut baker_key) = (String::new(), String::new(), String::new());
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.context("reading the banner")?;
            match line.split_whitespace().collect::<Vec<_>>().as_slice() {
                ["HTTP", "API", url, ..] => base = url.to_string(),
                // The console's page; the operator surface is the URL before it.
                ["console", url, ..] => console = url.trim_end_matches("/_local/").to_string(),
                ["baker", "key", key, ..] => baker_key = key.to_string(),
                ["ready"] => break,
                _ => {}
            }
        }
        if base.is_empty() || console.is_empty() || baker_key.is_empty() {
            bail!("cakeshop dev did not start (no banner)");
        }
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Shop {
            child,
            base,
            console,
            baker_key,
            data_dir: data_dir.to_owned(),
            local_mailbox: !extra.contains(&"aws"),
        })
    }

    /// Peak resident memory so far (VmHWM), in bytes.
    pub fn peak_rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }

    /// CPU time used so far (user + system), in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
        let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
        (ticks(11) + ticks(12)) / clock_ticks_per_second()
    }

    /// Bytes the store takes on disk (the SQLite file and its WAL).
    pub fn store_bytes(&self) -> u64 {
        std::fs::read_dir(&self.data_dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|entry| entry.metadata().ok())
                    .filter(|metadata| metadata.is_file())
                    .map(|metadata| metadata.len())
                    .sum()
            })
            .unwrap_or(0)
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clock_ticks_per_second() -> f64 {
    // USER_HZ is 100 on every Linux the shop runs on; getconf would need another process.
    100.0
}

/// A moto_server on a free loopback port, for `--backend aws`.
pub struct Moto {
    child: Child,
    pub endpoint: String,
    // moto writes a recording of the requests into its working directory.
    _workdir: tempfile::TempDir,
}

impl Moto {
    pub fn start(binary: &Path) -> Result<Moto> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let workdir = tempfile::tempdir()?;
        let child = Command::new(binary)
            .current_dir(workdir.path())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                bail!("moto_server did not answer on {endpoint}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Moto {
            child,
            endpoint,
            _workdir: workdir,
        })
    }

    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "bench"),
            ("AWS_SECRET_ACCESS_KEY", "bench"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// The moto_server given, or CAKESHOP_MOTO_SERVER, or the one `tools/test` installs.
    pub fn find(given: Option<&Path>) -> Result<PathBuf> {
        let candidates = given
            .map(Path::to_path_buf)
            .into_iter()
            .chain(std::env::var_os("CAKESHOP_MOTO_SERVER").map(PathBuf::from))
            .chain(std::env::var_os("CAKESHOP_CACHE_DIR").map(|dir| PathBuf::from(dir).join("venv/bin/moto_server")))
            .chain([PathBuf::from(".cache/venv/bin/moto_server")]);
        let found: Vec<PathBuf> = candidates.collect();
        found
            .iter()
            .find(|path| path.is_file())
            .cloned()
            .ok_or_else(|| anyhow!("no moto_server (looked at {found:?}); run tools/test once, or pass --moto-server"))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
