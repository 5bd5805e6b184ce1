//! A secret given directly or as the name of an SSM SecureString parameter.

use super::ConfigError;
use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// The secret itself (local development, tests).
    Value(String),
    /// The SSM parameter that holds it, from `<variable>_PARAMETER`.
    SsmParameter { variable: &'static str, parameter: String },
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Value(_) => f.write_str("Secret::Value(<secret>)"),
            Secret::SsmParameter { variable, parameter } => {
                write!(f, "Secret::SsmParameter({variable} from {parameter:?})")
            }
        }
    }
}

impl Secret {
    /// The secret's value, fetching (and decrypting) the parameter if that is how it was given.
    pub async fn resolve(&self, ssm: &aws_sdk_ssm::Client) -> Result<String, ConfigError> {
        let (variable, parameter) = match self {
            Secret::Value(value) => return Ok(value.clone()),
            Secret::SsmParameter { variable, parameter } => (*variable, parameter),
        };
        let failed = |source: cakeshop_ports::BoxError| ConfigError::Parameter {
            variable,
            parameter: parameter.clone(),
            source,
        };
        let output = ssm
            .get_parameter()
            .name(parameter)
            .with_decryption(true)
            .send()
            .await
            .map_err(|error| failed(error.into()))?;
        match output.parameter().and_then(|found| found.value()) {
            Some(value) if !value.trim().is_empty() => Ok(value.to_owned()),
            _ => Err(failed("the parameter has no value".into())),
        }
    }
}
