//! moto, the AWS emulator, on a free loopback port for one test, stopped with it.

use crate::free_port::free_port;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where `tools/test` installs the emulator; `CAKESHOP_MOTO_SERVER` overrides it.
pub(crate) fn moto_server_path() -> PathBuf {
    if let Some(path) = std::env::var_os("CAKESHOP_MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("CAKESHOP_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.cache")));
    cache.join("venv/bin/moto_server")
}

/// A `moto_server` (AWS emulator) of this test's own, on a free loopback port, stopped on drop.
pub struct MotoServer {
    child: Child,
    pub endpoint: String,
    _workdir: tempfile::TempDir,
}

impl MotoServer {
    /// The moto_server program tests use, for tests that start one through another program.
    pub fn binary() -> PathBuf {
        let program = moto_server_path();
        assert!(program.exists(), "{} not found: run tools/test", program.display());
        program
    }

    pub fn start() -> MotoServer {
        let program = moto_server_path();
        assert!(
            program.exists(),
            "{} not found: run tools/test, which installs moto into a project-local virtualenv \
             (or set CAKESHOP_MOTO_SERVER)",
            program.display()
        );
        let port = free_port();
        // moto writes a request recording into its working directory.
        let workdir = tempfile::tempdir().expect("a working directory for moto");
        // Through tools/moto-server, which takes moto's DynamoDB operations one at a time
        // (its failed transactions undo other requests' writes otherwise).
        let launcher = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/moto-server");
        let child = Command::new(program.with_file_name("python"))
            .arg(launcher)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .current_dir(workdir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", program.display()));
        let server = MotoServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            _workdir: workdir,
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// SDK configuration for this emulator: its endpoint, a region, dummy credentials.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "cakeshop-tests"))
            .load()
            .await
    }

    /// Environment for a child process that should use this emulator.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
