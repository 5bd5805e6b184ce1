//! `SMTP_URL` (and `SMTP_CA_FILE`): the mail server the local backend also sends its emails
//! through. `smtps://user:password@host[:465]` speaks TLS from the start,
//! `smtp://user:password@host[:587]` upgrades with STARTTLS and refuses a server that cannot;
//! `?tls=none` (no credentials then) is for a relay on the same machine.

use lettre::Tokio1Executor;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one conversation with the server may take before the try counts as failed.
const SERVER_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum SmtpSettingsError {
    #[error("SMTP_URL is not a URL")]
    NotAUrl(#[source] url::ParseError),
    #[error("SMTP_URL must start with smtps:// (TLS) or smtp:// (STARTTLS), not {0}://")]
    Scheme(String),
    #[error("SMTP_URL names no host")]
    NoHost,
    #[error("SMTP_URL's tls= may only be none (for a relay on this machine), not {0:?}")]
    TlsMode(String),
    #[error("SMTP_URL has a user and password, which tls=none would send unencrypted")]
    CredentialsInClear,
    #[error("SMTP_URL's user name or password is not percent-encoded UTF-8")]
    Encoding(#[source] std::str::Utf8Error),
    #[error("cannot read SMTP_CA_FILE {path}")]
    CaFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("SMTP_CA_FILE {path} holds no usable PEM certificate")]
    CaCertificate {
        path: PathBuf,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("setting up TLS for {host}")]
    Tls {
        host: String,
        #[source]
        source: lettre::transport::smtp::Error,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (`smtps://`, port 465).
    Tls,
    /// A plain connection upgraded with STARTTLS before anything is sent (`smtp://`, port 587).
    StartTls,
    /// No encryption (`smtp://…?tls=none`, port 25).
    None,
}

/// A parsed `SMTP_URL`. Its `Debug` leaves out the password.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    user: Option<String>,
    password: Option<String>,
    /// Roots to trust besides the system's, for a server with a private certificate.
    ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl SmtpSettings {
    pub fn parse(smtp_url: &str, ca_file: Option<&Path>) -> Result<SmtpSettings, SmtpSettingsError> {
        let url = url::Url::parse(smtp_url).map_err(SmtpSettingsError::NotAUrl)?;
        let tls = url
            .query_pairs()
            .find(|(name, _)| name == "tls")
            .map(|(_, value)| value.into_owned());
        let security = match (url.scheme(), tls.as_deref()) {
            ("smtps", None) => Security::Tls,
            ("smtp", None) => Security::StartTls,
            ("smtp", Some("none")) => Security::None,
            ("smtp" | "smtps", Some(other)) => return Err(SmtpSettingsError::TlsMode(other.to_owned())),
            (scheme, _) => return Err(SmtpSettingsError::Scheme(scheme.to_owned())),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or(SmtpSettingsError::NoHost)?;
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map(|decoded| decoded.into_owned())
                .map_err(SmtpSettingsError::Encoding)
        };
        let (user, password) = match url.password() {
            Some(password) => (Some(decode(url.username())?), Some(decode(password)?)),
            None if !url.username().is_empty() => (Some(decode(url.username())?), None),
            None => (None, None),
        };
        if security == Security::None && user.is_some() {
            return Err(SmtpSettingsError::CredentialsInClear);
        }
        let default_port = match security {
            Security::Tls => 465,
            Security::StartTls => 587,
            Security::None => 25,
        };
        Ok(SmtpSettings {
            host: host.trim_start_matches('[').trim_end_matches(']').to_owned(),
            port: url.port().unwrap_or(default_port),
            security,
            user,
            password,
            ca_file: ca_file.map(Path::to_path_buf),
        })
    }

    /// The server and how it is reached, for logs: no password.
    pub fn describe(&self) -> String {
        let how = match self.security {
            Security::Tls => "TLS",
            Security::StartTls => "STARTTLS",
            Security::None => "unencrypted",
        };
        match &self.user {
            Some(user) => format!("{}:{} ({how}, as {user})", self.host, self.port),
            None => format!("{}:{} ({how})", self.host, self.port),
        }
    }

    /// A client for the server; it connects when it first sends.
    pub fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, SmtpSettingsError> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .timeout(Some(SERVER_TIMEOUT));
        match self.security {
            Security::Tls => builder = builder.tls(Tls::Wrapper(self.tls_parameters()?)),
            Security::StartTls => builder = builder.tls(Tls::Required(self.tls_parameters()?)),
            Security::None => {}
        }
        if let Some(user) = &self.user {
            let password = self.password.clone().unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(builder.build())
    }

    /// Reads `SMTP_CA_FILE` and sets up TLS as `transport` will, so a start can stop on a
    /// problem there before anything runs.
    pub fn check_tls(&self) -> Result<(), SmtpSettingsError> {
        match self.security {
            Security::Tls | Security::StartTls => self.tls_parameters().map(drop),
            Security::None => Ok(()),
        }
    }

    fn tls_parameters(&self) -> Result<TlsParameters, SmtpSettingsError> {
        let mut parameters = TlsParameters::builder(self.host.clone());
        if let Some(path) = &self.ca_file {
            let pem = std::fs::read(path).map_err(|source| SmtpSettingsError::CaFile {
                path: path.clone(),
                source,
            })?;
            let roots = Certificate::from_pem(&pem).map_err(|source| SmtpSettingsError::CaCertificate {
                path: path.clone(),
                source,
            })?;
            parameters = parameters.add_root_certificate(roots);
        }
        parameters.build().map_err(|source| SmtpSettingsError::Tls {
            host: self.host.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_means_starttls_and_smtps_tls_with_their_ports() {
        let starttls = SmtpSettings::parse("smtp://shop%40example.com:p%2Fss@mail.example.com", None).unwrap();
        assert_eq!((starttls.security, starttls.port), (Security::StartTls, 587));
        assert_eq!(starttls.user.as_deref(), Some("shop@example.com"));
        assert_eq!(starttls.password.as_deref(), Some("p/ss"));
        let tls = SmtpSettings::parse("smtps://u:p@mail.example.com:2465", None).unwrap();
        assert_eq!((tls.security, tls.port), (Security::Tls, 2465));
        let local = SmtpSettings::parse("smtp://127.0.0.1?tls=none", None).unwrap();
        assert_eq!((local.security, local.port), (Security::None, 25));
    }

    #[test]
    fn the_password_stays_out_of_logs() {
        let settings = SmtpSettings::parse("smtps://shop:secret@mail.example.com", None).unwrap();
        let described = format!("{settings:?} {}", settings.describe());
        assert!(!described.contains("secret"), "{described}");
        assert!(described.contains("mail.example.com:465 (TLS, as shop)"), "{described}");
    }

    #[test]
    fn unusable_urls_are_refused_with_the_reason() {
        for (url, reason) in [
            ("mail.example.com", "not a URL"),
            ("http://mail.example.com", "not http://"),
            ("smtp://u:p@mail.example.com?tls=none", "unencrypted"),
            ("smtp://mail.example.com?tls=opportunistic", "\"opportunistic\""),
        ] {
            let error = SmtpSettings::parse(url, None).unwrap_err();
            assert!(error.to_string().contains(reason), "{url}: {error}");
        }
        let missing = SmtpSettings::parse("smtps://mail.example.com", Some(Path::new("/nonexistent/ca.pem")));
        let error = missing.unwrap().check_tls().unwrap_err();
        assert!(error.to_string().contains("cannot read SMTP_CA_FILE"), "{error}");
    }
}
