//! The environment variables a function reads. Each function declares what it needs by asking
//! its backend for it (see `cakeshop_handlers::functions`); the AWS side reads exactly those
//! from the Lambda's environment, and a test holds `serverless.yml` to the same list.

use std::fmt;

/// How a variable's value is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VariableKind {
    /// The value itself.
    Plain,
    /// The value itself, or on AWS the name of an SSM SecureString parameter in `<NAME>_PARAMETER`.
    Secret,
    /// A whole number of seconds, at least 1.
    Seconds,
    /// An IANA time zone name such as `Europe/London`.
    TimeZone,
    /// Client limits as `cakeshop_domain::ClientLimits` reads them: `default`, `off`, or e.g.
    /// `order=5/1m+20/1d,sign-in=5/15m`.
    Limits,
}

impl VariableKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VariableKind::Plain => "plain",
            VariableKind::Secret => "secret",
            VariableKind::Seconds => "seconds",
            VariableKind::TimeZone => "time zone",
            VariableKind::Limits => "limits",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Variable {
    pub name: &'static str,
    pub kind: VariableKind,
}

impl Variable {
    pub const fn plain(name: &'static str) -> Variable {
        Variable {
            name,
            kind: VariableKind::Plain,
        }
    }

    pub const fn secret(name: &'static str) -> Variable {
        Variable {
            name,
            kind: VariableKind::Secret,
        }
    }

    pub const fn seconds(name: &'static str) -> Variable {
        Variable {
            name,
            kind: VariableKind::Seconds,
        }
    }

    pub const fn time_zone(name: &'static str) -> Variable {
        Variable {
            name,
            kind: VariableKind::TimeZone,
        }
    }

    pub const fn limits(name: &'static str) -> Variable {
        Variable {
            name,
            kind: VariableKind::Limits,
        }
    }

    /// The variable that names the SSM parameter holding a secret: `<NAME>_PARAMETER`.
    pub fn parameter_name(&self) -> Option<String> {
        (self.kind == VariableKind::Secret).then(|| format!("{}{PARAMETER_SUFFIX}", self.name))
    }
}

impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// The suffix of the variable that names the SSM parameter holding a secret.
pub const PARAMETER_SUFFIX: &str = "_PARAMETER";

pub const ORDERS_TABLE: Variable = Variable::plain("ORDERS_TABLE");
pub const ORDER_STREAM: Variable = Variable::plain("ORDER_STREAM");
pub const DELIVERY_QUEUE_URL: Variable = Variable::plain("DELIVERY_QUEUE_URL");
pub const FEEDBACK_QUEUE_URL: Variable = Variable::plain("FEEDBACK_QUEUE_URL");
pub const SENDER_EMAIL: Variable = Variable::plain("SENDER_EMAIL");
pub const BAKER_EMAIL: Variable = Variable::plain("BAKER_EMAIL");
pub const DELIVERY_API_URL: Variable = Variable::plain("DELIVERY_API_URL");
pub const CUSTOMER_SERVICE_API_URL: Variable = Variable::plain("CUSTOMER_SERVICE_API_URL");
pub const PUBLIC_BASE_URL: Variable = Variable::plain("PUBLIC_BASE_URL");
pub const SIGNING_SECRET: Variable = Variable::secret("SIGNING_SECRET");
pub const BAKER_API_KEY: Variable = Variable::secret("BAKER_API_KEY");
/// How old an outbox mark must be before the relay takes it as orphaned: at least the HTTP
/// functions' timeout, so that a request still publishing its own event is not raced.
pub const RELAY_AFTER_SECONDS: Variable = Variable::seconds("RELAY_AFTER_SECONDS");
/// The shop's time zone, an IANA name: the day an order is for, and the cut-off, are the
/// shop's own, wherever the function runs.
pub const SHOP_TIME_ZONE: Variable = Variable::time_zone("SHOP_TIME_ZONE");
/// The deploy stage, the `Stage` dimension of every metric the function writes.
pub const STAGE: Variable = Variable::plain("STAGE");
/// How much one client, or one email address, may ask of the shop (`ClientLimits`).
pub const CLIENT_LIMITS: Variable = Variable::limits("CLIENT_LIMITS");
