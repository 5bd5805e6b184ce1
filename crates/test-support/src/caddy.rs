//! Caddy (Debian's `caddy`, which `tools/test` installs), running the site directives of the
//! project's recipe, `deploy/Caddyfile`, in front of a test's server: on a free loopback port,
//! over plain HTTP, without its admin endpoint, stopped on drop.

use crate::free_port::free_port;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The recipe the project checks in, which README's "Serving customers" tells operators to use.
fn recipe_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/Caddyfile")
}

/// The directives inside the recipe's one site block (`{$CAKESHOP_SITE:…} { … }`).
fn recipe_directives() -> String {
    let recipe = std::fs::read_to_string(recipe_path()).expect("deploy/Caddyfile");
    let mut lines = recipe.lines().skip_while(|line| !line.starts_with("{$CAKESHOP_SITE"));
    assert!(
        lines.next().is_some_and(|line| line.ends_with('{')),
        "the recipe's site block"
    );
    let directives: Vec<&str> = lines.take_while(|line| *line != "}").collect();
    assert!(!directives.is_empty(), "the recipe's site block has directives");
    directives.join("\n")
}

pub struct Caddy {
    child: Child,
    /// Where clients reach the proxy, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    pub address: SocketAddr,
    /// Its configuration, storage and log, none of them in the user's home.
    home: tempfile::TempDir,
}

impl Caddy {
    /// The recipe's directives proxying to `upstream` (as `CAKESHOP_UPSTREAM`).
    pub fn in_front_of(upstream: SocketAddr) -> Caddy {
        let program = std::env::var("CAKESHOP_CADDY").unwrap_or_else(|_| "caddy".into());
        let home = tempfile::tempdir().expect("a directory for caddy");
        let address = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let config = format!(
            "{{\n\tadmin off\n\tauto_https off\n}}\n\nhttp://{address} {{\n\tbind {}\n{}\n}}\n",
            address.ip(),
            recipe_directives()
        );
        let config_path = home.path().join("Caddyfile");
        std::fs::write(&config_path, config).expect("writing caddy's configuration");
        let log = std::fs::File::create(home.path().join("caddy.log")).expect("caddy's log");
        let child = Command::new(&program)
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&config_path)
            .env("CAKESHOP_UPSTREAM", upstream.to_string())
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path())
            .env("XDG_DATA_HOME", home.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|error| {
                panic!("starting {program} (tools/test installs Debian's caddy; or set CAKESHOP_CADDY): {error}")
            });
        let mut caddy = Caddy {
            child,
            url: format!("http://{address}"),
            address,
            home,
        };
        caddy.wait_until_up();
        caddy
    }

    fn wait_until_up(&mut self) {
        let started = Instant::now();
        while TcpStream::connect(self.address).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("caddy stopped ({status}): {}", self.log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "caddy did not listen on {}: {}",
                self.address,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What caddy logged, to explain a failure.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.home.path().join("caddy.log")).unwrap_or_default()
    }
}

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
