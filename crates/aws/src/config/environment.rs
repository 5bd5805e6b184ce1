//! A function's environment: exactly the variables its declaration reads
//! (`cakeshop_handlers::functions::needs`), read once at start. Every missing or unusable one
//! is named in one error; secrets stay `Secret` until `AwsClients::resolve` fetches them, so a
//! missing variable is reported before any network call.

use super::{ConfigError, EnvReader, Secret, process_env};
use cakeshop_domain::{ClientLimits, ShopZone};
use cakeshop_ports::{Variable, VariableKind};
use std::collections::BTreeMap;
use std::fmt;

/// The variables as read, secrets not yet fetched.
#[derive(Clone, PartialEq, Eq)]
pub struct FunctionEnv {
    pub(crate) values: BTreeMap<&'static str, String>,
    pub(crate) secrets: Vec<(&'static str, Secret)>,
    pub(crate) seconds: BTreeMap<&'static str, i64>,
}

impl FunctionEnv {
    pub fn from_env(variables: &[Variable]) -> Result<FunctionEnv, ConfigError> {
        FunctionEnv::from_lookup(variables, process_env)
    }

    pub fn from_lookup(
        variables: &[Variable],
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<FunctionEnv, ConfigError> {
        let mut env = EnvReader::new(lookup);
        let mut read = FunctionEnv {
            values: BTreeMap::new(),
            secrets: Vec::new(),
            seconds: BTreeMap::new(),
        };
        for variable in variables {
            match variable.kind {
                VariableKind::Plain => {
                    read.values.insert(variable.name, env.required(variable.name));
                }
                VariableKind::Secret => read.secrets.push((variable.name, env.secret(variable.name))),
                VariableKind::Seconds => {
                    read.seconds.insert(variable.name, env.positive_seconds(variable.name));
                }
                VariableKind::TimeZone => {
                    read.values.insert(variable.name, env.time_zone(variable.name));
                }
                VariableKind::Limits => {
                    read.values.insert(variable.name, env.limits(variable.name));
                }
            }
        }
        env.finish()?;
        Ok(read)
    }

    /// The environment of a function that reads no secret, without fetching anything (and so
    /// without the code that would fetch from SSM); a secret among its variables is an error.
    pub fn without_secrets(&self) -> Result<ResolvedEnv, ConfigError> {
        if let Some((name, _)) = self.secrets.first() {
            return Err(ConfigError::Invalid(vec![format!(
                "{name} is a secret, and this function was built to read none"
            )]));
        }
        Ok(ResolvedEnv {
            values: self.values.clone(),
            seconds: self.seconds.clone(),
        })
    }

    /// A secret as given, for `AwsClients::resolve`.
    pub fn secret(&self, name: &str) -> Option<&Secret> {
        self.secrets
            .iter()
            .find(|(variable, _)| *variable == name)
            .map(|(_, secret)| secret)
    }
}

/// Only the names: values may be secrets.
impl fmt::Debug for FunctionEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FunctionEnv")
            .field("values", &self.values)
            .field("secrets", &self.secrets)
            .field("seconds", &self.seconds)
            .finish()
    }
}

/// A function's environment with its secrets fetched: what its ports are built from.
#[derive(Clone, PartialEq, Eq)]
pub struct ResolvedEnv {
    pub(crate) values: BTreeMap<&'static str, String>,
    pub(crate) seconds: BTreeMap<&'static str, i64>,
}

impl ResolvedEnv {
    /// A plain or secret value; a variable the function did not declare is an error, not a
    /// panic, so a declaration that asks for more than it lists says so at start.
    pub fn text(&self, variable: Variable) -> Result<String, ConfigError> {
        self.values
            .get(variable.name)
            .cloned()
            .ok_or(ConfigError::Undeclared(variable.name))
    }

    pub fn seconds(&self, variable: Variable) -> Result<i64, ConfigError> {
        self.seconds
            .get(variable.name)
            .copied()
            .ok_or(ConfigError::Undeclared(variable.name))
    }

    /// A time zone variable (`SHOP_TIME_ZONE`), checked when the environment was read.
    pub fn zone(&self, variable: Variable) -> Result<ShopZone, ConfigError> {
        if variable.kind != VariableKind::TimeZone {
            return Err(ConfigError::Invalid(vec![format!(
                "{variable} is not a time zone variable"
            )]));
        }
        let name = self.text(variable)?;
        ShopZone::parse(&name).map_err(|error| ConfigError::Invalid(vec![error.to_string()]))
    }

    /// A limits variable (`CLIENT_LIMITS`), checked when the environment was read.
    pub fn limits(&self, variable: Variable) -> Result<ClientLimits, ConfigError> {
        if variable.kind != VariableKind::Limits {
            return Err(ConfigError::Invalid(vec![format!(
                "{variable} is not a limits variable"
            )]));
        }
        ClientLimits::parse(&self.text(variable)?)
            .map_err(|error| ConfigError::Invalid(vec![format!("{variable}: {error}")]))
    }
}

impl fmt::Debug for ResolvedEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolvedEnv")
            .field("variables", &self.values.keys().collect::<Vec<_>>())
            .field("seconds", &self.seconds)
            .finish()
    }
}
