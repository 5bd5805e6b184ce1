//! Configuration, read once at start from the environment: the variables a function declares.
//!
//! Every missing variable is named in one error, so a deployment is fixed in one go. Secrets
//! (`SIGNING_SECRET`, `BAKER_API_KEY`) are given either directly or, on AWS, as the name of an
//! SSM SecureString parameter in `<NAME>_PARAMETER`, fetched once at start, so that the secret
//! itself never appears in the deployment template.

mod environment;
mod secret;

pub use environment::{FunctionEnv, ResolvedEnv};
pub use secret::Secret;

use cakeshop_ports::BoxError;
pub use cakeshop_ports::config::PARAMETER_SUFFIX;
use std::fmt;

#[derive(thiserror::Error)]
pub enum ConfigError {
    #[error("{}", Missing(.0))]
    Missing(Vec<String>),
    /// Variables set to values that cannot be used (and any missing ones), each described.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    /// A function asked for a variable its declaration does not read.
    #[error("{0} is not one of the variables this function reads")]
    Undeclared(&'static str),
    #[error("reading {variable} from the SSM parameter {parameter:?} failed")]
    Parameter {
        variable: &'static str,
        parameter: String,
        #[source]
        source: BoxError,
    },
}

impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::error_report::fmt_report(self, f)
    }
}

struct Missing<'a>(&'a [String]);

impl fmt::Display for Missing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.0.len() == 1 { "" } else { "s" };
        write!(f, "missing environment variable{plural}: {}", self.0.join(", "))
    }
}

/// Reads variables through a lookup (the process environment, or a map in tests), noting
/// every one that is absent or blank.
pub struct EnvReader<L> {
    lookup: L,
    missing: Vec<String>,
    invalid: Vec<String>,
}

impl<L: Fn(&str) -> Option<String>> EnvReader<L> {
    pub fn new(lookup: L) -> EnvReader<L> {
        EnvReader {
            lookup,
            missing: Vec::new(),
            invalid: Vec::new(),
        }
    }

    fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|value| !value.trim().is_empty())
    }

    /// The variable's value, or an empty string after noting it as missing.
    pub fn required(&mut self, name: &'static str) -> String {
        self.get(name).unwrap_or_else(|| {
            self.missing.push(name.to_owned());
            String::new()
        })
    }

    /// `NAME` itself, else `NAME_PARAMETER` naming where to fetch it, else noted as missing.
    pub fn secret(&mut self, name: &'static str) -> Secret {
        let parameter = format!("{name}{PARAMETER_SUFFIX}");
        if let Some(value) = self.get(name) {
            Secret::Value(value)
        } else if let Some(parameter) = self.get(&parameter) {
            Secret::SsmParameter {
                variable: name,
                parameter,
            }
        } else {
            self.missing.push(format!("{name} (or {parameter})"));
            Secret::Value(String::new())
        }
    }

    /// A whole number of seconds, at least 1; else 0 after noting it as missing or invalid.
    pub fn positive_seconds(&mut self, name: &'static str) -> i64 {
        let Some(value) = self.get(name) else {
            self.missing.push(name.to_owned());
            return 0;
        };
        match value.trim().parse::<i64>() {
            Ok(seconds) if seconds >= 1 => seconds,
            _ => {
                self.invalid.push(format!(
                    "{name} must be a whole number of seconds, at least 1, not {value:?}"
                ));
                0
            }
        }
    }

    /// An IANA time zone name (`Europe/London`), checked against the rules bundled into the
    /// binary; else an empty string after noting it as missing or invalid.
    pub fn time_zone(&mut self, name: &'static str) -> String {
        let Some(value) = self.get(name) else {
            self.missing.push(name.to_owned());
            return String::new();
        };
        let value = value.trim().to_owned();
        match cakeshop_domain::ShopZone::parse(&value) {
            Ok(_) => value,
            Err(error) => {
                // The error names SHOP_TIME_ZONE, the one time zone variable there is.
                self.invalid.push(error.to_string());
                String::new()
            }
        }
    }

    /// Client limits as `ClientLimits` reads them; else an empty string after noting it as
    /// missing or invalid.
    pub fn limits(&mut self, name: &'static str) -> String {
        let Some(value) = self.get(name) else {
            self.missing.push(name.to_owned());
            return String::new();
        };
        match cakeshop_domain::ClientLimits::parse(&value) {
            Ok(_) => value,
            Err(error) => {
                self.invalid.push(format!("{name}: {error}"));
                String::new()
            }
        }
    }

    /// Succeeds when nothing asked for was missing or invalid.
    pub fn finish(mut self) -> Result<(), ConfigError> {
        if self.invalid.is_empty() {
            return if self.missing.is_empty() {
                Ok(())
            } else {
                Err(ConfigError::Missing(self.missing))
            };
        }
        if !self.missing.is_empty() {
            self.invalid.push(Missing(&self.missing).to_string());
        }
        Err(ConfigError::Invalid(self.invalid))
    }
}

/// The process environment as a lookup.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests;
