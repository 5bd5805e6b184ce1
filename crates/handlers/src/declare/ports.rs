//! What a backend gives a function to be built on. Each method names the environment variable
//! the value comes from on AWS, so that building a function also says what it reads (`needs`).

use crate::shared::auth::{BakerKey, Signer};
use cakeshop_domain::{ClientLimits, ShopZone};
use cakeshop_ports::config::{BAKER_API_KEY, ORDER_STREAM, ORDERS_TABLE, SIGNING_SECRET};
use cakeshop_ports::{
    Bakery, Clock, EventPublisher, IdGenerator, Limiter, Mailer, Metrics, OrderRepository, PartnerClient, QueueSender,
    Variable,
};
use std::sync::Arc;

pub trait Ports: Send + Sync {
    /// The orders table, which also keeps the shop's rules, each day's booked count and the
    /// client limits' counters.
    type Orders: OrderRepository + Bakery + Limiter + Clone + 'static;
    type Events: EventPublisher + Clone + 'static;
    type Queue: QueueSender + 'static;
    type Mailer: Mailer + 'static;
    type Partner: PartnerClient + 'static;
    type Error: std::error::Error + Send + Sync + 'static;

    /// The orders table, from `ORDERS_TABLE`.
    fn orders(&self) -> Result<Self::Orders, Self::Error> {
        self.orders_at(ORDERS_TABLE)
    }
    /// The order stream, from `ORDER_STREAM`.
    fn events(&self) -> Result<Self::Events, Self::Error> {
        self.events_at(ORDER_STREAM)
    }
    fn orders_at(&self, table: Variable) -> Result<Self::Orders, Self::Error>;
    fn events_at(&self, stream: Variable) -> Result<Self::Events, Self::Error>;
    /// The queue whose URL is in `url`.
    fn queue(&self, url: Variable) -> Result<Self::Queue, Self::Error>;
    fn mailer(&self) -> Result<Self::Mailer, Self::Error>;
    /// The partner API at the URL in `url`.
    fn partner(&self, url: Variable) -> Result<Self::Partner, Self::Error>;
    /// A plain or secret value.
    fn text(&self, variable: Variable) -> Result<String, Self::Error>;
    /// A whole number of seconds, at least 1.
    fn seconds(&self, variable: Variable) -> Result<i64, Self::Error>;
    /// An IANA time zone (`SHOP_TIME_ZONE`).
    fn zone(&self, variable: Variable) -> Result<ShopZone, Self::Error>;
    /// How much one client may ask (`CLIENT_LIMITS`).
    fn limits(&self, variable: Variable) -> Result<ClientLimits, Self::Error>;
    /// Where the function's metrics go, tagged with the stage in `stage`.
    fn metrics(&self, stage: Variable) -> Result<Arc<dyn Metrics>, Self::Error>;
    fn clock(&self) -> Arc<dyn Clock>;
    fn ids(&self) -> Arc<dyn IdGenerator>;
}

/// The signer of tokens, links and sessions, from `SIGNING_SECRET`.
pub fn signer<P: Ports>(ports: &P) -> Result<Signer, P::Error> {
    Ok(Signer::new(ports.text(SIGNING_SECRET)?))
}

/// The baker's API key, from `BAKER_API_KEY`.
pub fn baker_key<P: Ports>(ports: &P) -> Result<BakerKey, P::Error> {
    Ok(BakerKey::new(&ports.text(BAKER_API_KEY)?))
}
