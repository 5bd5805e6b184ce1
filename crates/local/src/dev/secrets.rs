//! The local shop's secrets: given in the environment, or made once and kept in the data
//! directory so that tokens and links stay valid across restarts.

use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalSecrets {
    pub signing_secret: String,
    pub baker_api_key: String,
}

/// Never prints the secrets, so a stray `{:?}` in a log line leaks nothing.
impl std::fmt::Debug for LocalSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalSecrets(<redacted>)")
    }
}

/// The file in the data directory that holds them.
pub const SECRETS_FILE: &str = "secrets.json";

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot read or write {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a secrets file")]
    Corrupt {
        path: String,
        #[source]
        source: serde_json::Error,
    },
}

impl LocalSecrets {
    /// The stored secrets (creating them on first use), with any given ones taking precedence.
    pub fn load_or_create(
        data_dir: &Path,
        signing_secret: Option<String>,
        baker_api_key: Option<String>,
    ) -> Result<LocalSecrets, SecretsError> {
        let path = data_dir.join(SECRETS_FILE);
        let shown = path.display().to_string();
        let stored = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|source| SecretsError::Corrupt {
                path: shown.clone(),
                source,
            })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let fresh = LocalSecrets {
                    signing_secret: random_hex(32),
                    baker_api_key: random_hex(16),
                };
                let text = serde_json::to_string_pretty(&fresh).map_err(|source| SecretsError::Corrupt {
                    path: shown.clone(),
                    source,
                })?;
                write_private(&path, &text).map_err(|source| SecretsError::Io {
                    path: shown.clone(),
                    source,
                })?;
                fresh
            }
            Err(source) => {
                return Err(SecretsError::Io { path: shown, source });
            }
        };
        Ok(LocalSecrets {
            signing_secret: signing_secret.unwrap_or(stored.signing_secret),
            baker_api_key: baker_api_key.unwrap_or(stored.baker_api_key),
        })
    }
}

fn random_hex(bytes: usize) -> String {
    (0..bytes.div_ceil(16))
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect::<String>()[..bytes * 2]
        .to_owned()
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}
