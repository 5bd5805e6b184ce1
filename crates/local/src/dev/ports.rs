//! The ports `cakeshop dev` builds every declared function on: the backend's adapters (the
//! local store, or AWS through the SDK), and each variable's local value — the one place that
//! says what a function's environment is on one machine.

use super::error::DevError;
use super::options::DevOptions;
use super::secrets::LocalSecrets;
use crate::cloudwatch::LocalMetrics;
use crate::lambda::Functions;
use crate::serverless::{Wiring, WiringError};
use cakeshop_aws::HttpPartner;
use cakeshop_domain::{ClientLimits, ShopZone};
use cakeshop_handlers::functions::{Ports, Registry};
use cakeshop_ports::config::{
    BAKER_API_KEY, BAKER_EMAIL, CLIENT_LIMITS, CUSTOMER_SERVICE_API_URL, DELIVERY_API_URL, PUBLIC_BASE_URL,
    SENDER_EMAIL, SHOP_TIME_ZONE, SIGNING_SECRET,
};
use cakeshop_ports::partner::{CUSTOMER_SERVICE, DELIVERY};
use cakeshop_ports::{
    Bakery, Clock, EventPublisher, IdGenerator, Limiter, Mailer, Metrics, OrderRepository, QueueSender, SystemClock,
    TimeOrderedIds, Variable,
};
use std::sync::Arc;
use std::time::Duration;

/// Where the shop is reached and where it reaches out.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub base_url: String,
    pub delivery_api_url: String,
    pub customer_service_api_url: String,
}

impl Endpoints {
    /// The configured URLs, or the public listener's URL and the partner stand-ins that the
    /// operator listener at `operator_url` serves.
    pub fn new(options: &DevOptions, public_url: &str, operator_url: &str) -> Endpoints {
        let base_url = options.public_base_url.clone().unwrap_or_else(|| public_url.to_owned());
        let stand_in = |partner: &str| format!("{operator_url}/_local/partners/{partner}");
        Endpoints {
            delivery_api_url: options.delivery_api_url.clone().unwrap_or_else(|| stand_in(DELIVERY)),
            customer_service_api_url: options
                .customer_service_api_url
                .clone()
                .unwrap_or_else(|| stand_in(CUSTOMER_SERVICE)),
            base_url,
        }
    }
}

/// The adapters one backend provides; queues by their logical id in `serverless.yml`.
pub trait Adapters: Send + Sync + 'static {
    type Orders: OrderRepository + Bakery + Limiter + Clone + 'static;
    type Events: EventPublisher + Clone + 'static;
    type Queue: QueueSender + 'static;
    type Mailer: Mailer + 'static;

    fn orders(&self) -> Self::Orders;
    fn events(&self) -> Self::Events;
    fn queue(&self, logical_id: &str) -> Result<Self::Queue, DevError>;
    fn mailer(&self) -> Self::Mailer;
}

/// What every function's local environment is made of.
struct Setting {
    wiring: Wiring,
    secrets: LocalSecrets,
    endpoints: Endpoints,
    sender_email: String,
    baker_email: String,
    shop_zone: ShopZone,
    limits: ClientLimits,
    partner_timeout: Duration,
    /// Every function's metrics, for the console.
    metrics: LocalMetrics,
}

/// One function's ports in `cakeshop dev`.
pub struct DevPorts<A> {
    function: &'static str,
    adapters: Arc<A>,
    setting: Arc<Setting>,
}

/// Builds every declared function on `adapters`, their metrics kept for the console.
pub fn assemble<A: Adapters>(
    options: &DevOptions,
    wiring: &Wiring,
    secrets: &LocalSecrets,
    endpoints: &Endpoints,
    adapters: A,
) -> Result<Functions, DevError> {
    let adapters = Arc::new(adapters);
    let setting = Arc::new(Setting {
        wiring: wiring.clone(),
        secrets: secrets.clone(),
        endpoints: endpoints.clone(),
        sender_email: options.sender_email.clone(),
        baker_email: options.baker_email.clone(),
        shop_zone: ShopZone::parse(&options.shop_time_zone)?,
        limits: options.limits.clone(),
        partner_timeout: options.partner_timeout,
        metrics: LocalMetrics::default(),
    });
    let registry = Registry::build(|function| {
        Ok::<_, DevError>(DevPorts {
            function,
            adapters: Arc::clone(&adapters),
            setting: Arc::clone(&setting),
        })
    })?;
    Ok(Functions::new(registry, setting.metrics.clone()))
}

impl<A> DevPorts<A> {
    fn unknown(&self, variable: Variable) -> DevError {
        WiringError::Unusable {
            location: format!("function {}: environment.{variable}", self.function),
            problem: "cakeshop dev has no local value for this variable".into(),
        }
        .into()
    }
}

impl<A: Adapters> Ports for DevPorts<A> {
    type Orders = A::Orders;
    type Events = A::Events;
    type Queue = A::Queue;
    type Mailer = A::Mailer;
    type Partner = HttpPartner;
    type Error = DevError;

    fn orders_at(&self, _table: Variable) -> Result<A::Orders, DevError> {
        Ok(self.adapters.orders())
    }

    fn events_at(&self, _stream: Variable) -> Result<A::Events, DevError> {
        Ok(self.adapters.events())
    }

    /// The queue that the function's variable names in `serverless.yml` (`Ref: <queue>`).
    fn queue(&self, url: Variable) -> Result<A::Queue, DevError> {
        let spec = self.setting.wiring.queue_of(self.function, url.name)?;
        self.adapters.queue(&spec.logical_id)
    }

    fn mailer(&self) -> Result<A::Mailer, DevError> {
        Ok(self.adapters.mailer())
    }

    fn partner(&self, url: Variable) -> Result<HttpPartner, DevError> {
        let endpoints = &self.setting.endpoints;
        let url = match url {
            DELIVERY_API_URL => &endpoints.delivery_api_url,
            CUSTOMER_SERVICE_API_URL => &endpoints.customer_service_api_url,
            other => return Err(self.unknown(other)),
        };
        HttpPartner::new(url, self.setting.partner_timeout).map_err(|source| DevError::PartnerUrl {
            url: url.clone(),
            source,
        })
    }

    fn text(&self, variable: Variable) -> Result<String, DevError> {
        let setting = &self.setting;
        Ok(match variable {
            SENDER_EMAIL => setting.sender_email.clone(),
            BAKER_EMAIL => setting.baker_email.clone(),
            PUBLIC_BASE_URL => setting.endpoints.base_url.clone(),
            SIGNING_SECRET => setting.secrets.signing_secret.clone(),
            BAKER_API_KEY => setting.secrets.baker_api_key.clone(),
            other => return Err(self.unknown(other)),
        })
    }

    /// As `serverless.yml` gives it to the function, as on AWS; 10 s for a function that
    /// `serverless.yml` does not deploy (it is then never invoked).
    fn seconds(&self, variable: Variable) -> Result<i64, DevError> {
        let Some(function) = self.setting.wiring.function(self.function) else {
            return Ok(10);
        };
        let value = function.environment.get(variable.name);
        let seconds = match value {
            Some(serde_json::Value::String(text)) => text.trim().parse::<i64>().ok(),
            Some(serde_json::Value::Number(number)) => number.as_i64(),
            _ => None,
        };
        seconds.filter(|s| *s >= 1).ok_or_else(|| {
            WiringError::Unusable {
                location: format!("function {}: environment.{variable}", self.function),
                problem: format!("must be a whole number of seconds, at least 1 (found {value:?})"),
            }
            .into()
        })
    }

    fn zone(&self, variable: Variable) -> Result<ShopZone, DevError> {
        match variable {
            SHOP_TIME_ZONE => Ok(self.setting.shop_zone.clone()),
            other => Err(self.unknown(other)),
        }
    }

    fn limits(&self, variable: Variable) -> Result<ClientLimits, DevError> {
        match variable {
            CLIENT_LIMITS => Ok(self.setting.limits.clone()),
            other => Err(self.unknown(other)),
        }
    }

    /// CloudWatch's stand-in, whatever the stage: the console shows what it was given.
    fn metrics(&self, _stage: Variable) -> Result<Arc<dyn Metrics>, DevError> {
        Ok(Arc::new(self.setting.metrics.clone()))
    }

    fn clock(&self) -> Arc<dyn Clock> {
        Arc::new(SystemClock)
    }

    fn ids(&self) -> Arc<dyn IdGenerator> {
        Arc::new(TimeOrderedIds)
    }
}
