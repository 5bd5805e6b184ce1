//! A mail server of the test's own (`tools/smtp-test-server`, on aiosmtpd from the virtualenv
//! `tools/test` makes): TLS with a certificate made for the test, one user, every email it
//! takes readable back.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The user the server lets in, and its password (with characters a URL must encode).
pub const SMTP_USER: &str = "shop@cakeshop.test";
pub const SMTP_PASSWORD: &str = "s3cret:p@ss/word";
/// Recipients at this domain are refused for good (550).
pub const REFUSED_DOMAIN: &str = "refused.test";

/// A certificate for 127.0.0.1 and localhost, self-signed, in a directory of its own.
pub struct TestCertificate {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestCertificate {
    pub fn new() -> TestCertificate {
        let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
        let made = rcgen::generate_simple_self_signed(names).expect("a self-signed certificate");
        let dir = tempfile::tempdir().expect("a directory for the certificate");
        let cert_file = dir.path().join("smtp-cert.pem");
        let key_file = dir.path().join("smtp-key.pem");
        std::fs::write(&cert_file, made.cert.pem()).expect("the certificate written");
        std::fs::write(&key_file, made.signing_key.serialize_pem()).expect("the key written");
        TestCertificate {
            cert_file,
            key_file,
            _dir: dir,
        }
    }
}

impl Default for TestCertificate {
    fn default() -> Self {
        TestCertificate::new()
    }
}

/// How the server speaks: STARTTLS on a plain connection, or TLS from the first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    StartTls,
    Tls,
}

/// The server, stopped on drop.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub security: SmtpSecurity,
    received: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    /// The server on `port` (so that a test can point a shop at it before it runs).
    pub fn start(port: u16, security: SmtpSecurity, certificate: &TestCertificate) -> SmtpServer {
        let python = crate::moto::moto_server_path().with_file_name("python");
        assert!(python.exists(), "{} not found: run tools/test", python.display());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/smtp-test-server");
        let dir = tempfile::tempdir().expect("a directory for the server");
        let received = dir.path().join("received.jsonl");
        let mut command = Command::new(&python);
        command
            .arg(script)
            .args([
                "--port",
                &port.to_string(),
                "--user",
                SMTP_USER,
                "--password",
                SMTP_PASSWORD,
            ])
            .args(["--refuse-domain", REFUSED_DOMAIN])
            .arg("--cert")
            .arg(&certificate.cert_file)
            .arg("--key")
            .arg(&certificate.key_file)
            .arg("--received")
            .arg(&received);
        if security == SmtpSecurity::Tls {
            command.arg("--tls");
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("starting tools/smtp-test-server: {e}"));
        let stdout = child.stdout.take().expect("the server's stdout");
        let first = BufReader::new(stdout).lines().next();
        assert!(
            matches!(&first, Some(Ok(line)) if line == "ready"),
            "tools/smtp-test-server did not start: {first:?}"
        );
        SmtpServer {
            child,
            port,
            security,
            received,
            _dir: dir,
        }
    }

    /// `SMTP_URL` for this server, with the user and password.
    pub fn url(&self) -> String {
        smtp_url(self.port, self.security)
    }

    /// Every email taken so far, oldest first, as the server parsed it: `messageId`, `from`,
    /// `to`, `subject`, `text`, `html`, and the envelope (`mailFrom`, `rcptTos`), the `user`
    /// and whether the session was `encrypted`.
    pub fn taken(&self) -> Vec<serde_json::Value> {
        self.lines()
            .into_iter()
            .filter(|line| line.get("refused").is_none())
            .collect()
    }

    /// The recipient of every refusal (550) so far, oldest first.
    pub fn refused(&self) -> Vec<String> {
        self.lines()
            .iter()
            .filter_map(|line| line["refused"].as_str().map(str::to_owned))
            .collect()
    }

    fn lines(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(&self.received).unwrap_or_default();
        text.lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line from the server"))
            .collect()
    }
}

/// `SMTP_URL` for a server of this kind on `port`, whether or not it runs yet.
pub fn smtp_url(port: u16, security: SmtpSecurity) -> String {
    let encode =
        |text: &str| percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string();
    let scheme = match security {
        SmtpSecurity::StartTls => "smtp",
        SmtpSecurity::Tls => "smtps",
    };
    format!(
        "{scheme}://{}:{}@127.0.0.1:{port}",
        encode(SMTP_USER),
        encode(SMTP_PASSWORD)
    )
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
