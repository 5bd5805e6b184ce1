//! The ports on AWS, each configured from the variable its declaration names.

use cakeshop_aws::{
    AwsClients, ConfigError, DEFAULT_PARTNER_TIMEOUT, DynamoOrders, EmfMetrics, HttpPartner, HttpPartnerError,
    KinesisEvents, ResolvedEnv, SesMailer, SqsQueue,
};
use cakeshop_handlers::functions::{ClientLimits, Ports, ShopZone, ShopZoneError};
use cakeshop_ports::{Clock, IdGenerator, Metrics, SystemClock, TimeOrderedIds, Variable};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{variable} is not a usable partner URL")]
    PartnerUrl {
        variable: &'static str,
        #[source]
        source: HttpPartnerError,
    },
    #[error("{variable} is not a usable time zone")]
    TimeZone {
        variable: &'static str,
        #[source]
        source: ShopZoneError,
    },
}

pub struct LambdaPorts {
    aws: AwsClients,
    env: ResolvedEnv,
}

impl LambdaPorts {
    pub fn new(aws: AwsClients, env: ResolvedEnv) -> LambdaPorts {
        LambdaPorts { aws, env }
    }
}

impl Ports for LambdaPorts {
    type Orders = DynamoOrders;
    type Events = KinesisEvents;
    type Queue = SqsQueue;
    type Mailer = SesMailer;
    type Partner = HttpPartner;
    type Error = StartError;

    fn orders_at(&self, table: Variable) -> Result<DynamoOrders, StartError> {
        Ok(DynamoOrders::new(self.aws.dynamodb(), self.env.text(table)?))
    }

    fn events_at(&self, stream: Variable) -> Result<KinesisEvents, StartError> {
        Ok(KinesisEvents::new(self.aws.kinesis(), self.env.text(stream)?))
    }

    fn queue(&self, url: Variable) -> Result<SqsQueue, StartError> {
        Ok(SqsQueue::new(self.aws.sqs(), self.env.text(url)?))
    }

    fn mailer(&self) -> Result<SesMailer, StartError> {
        Ok(SesMailer::new(self.aws.sesv2()))
    }

    fn partner(&self, url: Variable) -> Result<HttpPartner, StartError> {
        HttpPartner::new(&self.env.text(url)?, DEFAULT_PARTNER_TIMEOUT).map_err(|source| StartError::PartnerUrl {
            variable: url.name,
            source,
        })
    }

    fn text(&self, variable: Variable) -> Result<String, StartError> {
        Ok(self.env.text(variable)?)
    }

    fn seconds(&self, variable: Variable) -> Result<i64, StartError> {
        Ok(self.env.seconds(variable)?)
    }

    fn zone(&self, variable: Variable) -> Result<ShopZone, StartError> {
        let name = self.env.text(variable)?;
        ShopZone::parse(name.trim()).map_err(|source| StartError::TimeZone {
            variable: variable.name,
            source,
        })
    }

    fn limits(&self, variable: Variable) -> Result<ClientLimits, StartError> {
        Ok(self.env.limits(variable)?)
    }

    /// Embedded metric format lines on standard output, which Lambda sends to the log.
    fn metrics(&self, stage: Variable) -> Result<Arc<dyn Metrics>, StartError> {
        Ok(Arc::new(EmfMetrics::to_stdout(self.env.text(stage)?)))
    }

    fn clock(&self) -> Arc<dyn Clock> {
        Arc::new(SystemClock)
    }

    fn ids(&self) -> Arc<dyn IdGenerator> {
        Arc::new(TimeOrderedIds)
    }
}
