//! What a function reads from its environment, found by building it on ports that connect to
//! nothing and note every variable asked for. Its declaration's `build` is then the only list:
//! the Lambda reads exactly these (`cakeshop_lambdas`), and a test holds `serverless.yml` to
//! them, so neither can drift from what the handler is given.

use super::{Function, Ports};
use cakeshop_domain::{
    Cancellation, CapacitySettings, Catalogue, ClientLimits, Day, EventKind, Order, OrderEvent, OrderId, ShopStatus,
    ShopZone, Status, Step, Timestamp,
};
use cakeshop_ports::limits::Counter;
use cakeshop_ports::{
    Bakery, Clock, CreateOutcome, Email, EventPublisher, IdGenerator, Limiter, Mailer, Metric, Metrics,
    OrderRepository, Outbox, OutgoingMessage, PartnerCall, PartnerClient, PartnerError, PendingEvents, PortError,
    QueueSender, Saved, SendReport, ShopRules, StatusCursor, StatusPage, StepOutcome, SystemClock, TimeOrderedIds,
    TransitionOutcome, Variable,
};
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};

/// The variables a function reads, each once, in the order first asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needs {
    pub variables: Vec<Variable>,
}

/// What `F` reads from its environment.
pub fn needs<F: Function>() -> Needs {
    let ports = Unconnected::default();
    // Building on these ports cannot fail: every value is there, and nothing is connected.
    let _unused = F::build(&ports);
    let variables = ports.asked.lock().unwrap_or_else(PoisonError::into_inner).clone();
    Needs { variables }
}

/// Ports whose adapters refuse every call and whose values are placeholders; they only note
/// what is asked of them.
#[derive(Default)]
struct Unconnected {
    asked: Mutex<Vec<Variable>>,
}

impl Unconnected {
    fn note(&self, variable: Variable) {
        let mut asked = self.asked.lock().unwrap_or_else(PoisonError::into_inner);
        if !asked.contains(&variable) {
            asked.push(variable);
        }
    }
}

impl Ports for Unconnected {
    type Orders = Nowhere;
    type Events = Nowhere;
    type Queue = Nowhere;
    type Mailer = Nowhere;
    type Partner = Nowhere;
    type Error = Infallible;

    fn orders_at(&self, table: Variable) -> Result<Nowhere, Infallible> {
        self.note(table);
        Ok(Nowhere)
    }
    fn events_at(&self, stream: Variable) -> Result<Nowhere, Infallible> {
        self.note(stream);
        Ok(Nowhere)
    }
    fn queue(&self, url: Variable) -> Result<Nowhere, Infallible> {
        self.note(url);
        Ok(Nowhere)
    }
    fn mailer(&self) -> Result<Nowhere, Infallible> {
        Ok(Nowhere)
    }
    fn partner(&self, url: Variable) -> Result<Nowhere, Infallible> {
        self.note(url);
        Ok(Nowhere)
    }
    fn text(&self, variable: Variable) -> Result<String, Infallible> {
        self.note(variable);
        Ok(String::new())
    }
    fn seconds(&self, variable: Variable) -> Result<i64, Infallible> {
        self.note(variable);
        Ok(1)
    }
    fn zone(&self, variable: Variable) -> Result<ShopZone, Infallible> {
        self.note(variable);
        // UTC is among the rules bundled into every build.
        Ok(ShopZone::parse("UTC").unwrap_or_else(|error| unreachable!("{error}")))
    }
    fn limits(&self, variable: Variable) -> Result<ClientLimits, Infallible> {
        self.note(variable);
        Ok(ClientLimits::default())
    }
    fn metrics(&self, stage: Variable) -> Result<Arc<dyn Metrics>, Infallible> {
        self.note(stage);
        Ok(Arc::new(Nowhere))
    }
    fn clock(&self) -> Arc<dyn Clock> {
        Arc::new(SystemClock)
    }
    fn ids(&self) -> Arc<dyn IdGenerator> {
        Arc::new(TimeOrderedIds)
    }
}

impl Metrics for Nowhere {
    fn record(&self, _: Metric, _: &OrderId) {}
}

/// An adapter connected to nothing: every call fails.
#[derive(Debug, Clone, Copy)]
struct Nowhere;

fn unconnected(operation: &'static str) -> PortError {
    PortError::new(operation, "not connected: these ports only list what a function reads")
}

impl Outbox for Nowhere {
    async fn pending(&self, _: Timestamp, _: usize) -> Result<Vec<PendingEvents>, PortError> {
        Err(unconnected("listing pending events"))
    }
    async fn mark_published(&self, _: &OrderId, _: EventKind) -> Result<(), PortError> {
        Err(unconnected("clearing an outbox mark"))
    }
}

impl OrderRepository for Nowhere {
    async fn create(&self, _: &Order, _: u32) -> Result<CreateOutcome, PortError> {
        Err(unconnected("storing an order"))
    }
    async fn get(&self, _: &OrderId) -> Result<Option<Order>, PortError> {
        Err(unconnected("reading an order"))
    }
    async fn transition(
        &self,
        _: &OrderId,
        _: Status,
        _: Status,
        _: Timestamp,
    ) -> Result<TransitionOutcome, PortError> {
        Err(unconnected("changing an order's status"))
    }
    async fn cancel(&self, _: &Order, _: &Cancellation, _: Timestamp) -> Result<TransitionOutcome, PortError> {
        Err(unconnected("cancelling an order"))
    }
    async fn record_step(&self, _: &OrderId, _: Step, _: Timestamp) -> Result<StepOutcome, PortError> {
        Err(unconnected("recording a step"))
    }
    async fn list_by_status(&self, _: Status, _: usize, _: Option<&StatusCursor>) -> Result<StatusPage, PortError> {
        Err(unconnected("listing orders"))
    }
}

impl Bakery for Nowhere {
    async fn rules(&self) -> Result<Arc<ShopRules>, PortError> {
        Err(unconnected("reading the shop's rules"))
    }
    async fn booked(&self, _: Day, _: u16) -> Result<Vec<u32>, PortError> {
        Err(unconnected("reading booked counts"))
    }
    async fn save_catalogue(&self, _: &Catalogue, _: u64) -> Result<Saved, PortError> {
        Err(unconnected("saving the catalogue"))
    }
    async fn save_capacity(&self, _: &CapacitySettings, _: u64) -> Result<Saved, PortError> {
        Err(unconnected("saving the capacity settings"))
    }
    async fn save_shop(&self, _: &ShopStatus, _: u64) -> Result<Saved, PortError> {
        Err(unconnected("saving the shop's status"))
    }
}

impl Limiter for Nowhere {
    async fn count(&self, _: Vec<Counter>) -> Result<Vec<Counter>, PortError> {
        Err(unconnected("counting a use of a client limit"))
    }
    async fn full(&self, _: Vec<Counter>) -> Result<Vec<Counter>, PortError> {
        Err(unconnected("reading a client limit"))
    }
    async fn uncount(&self, _: Vec<Counter>) -> Result<(), PortError> {
        Err(unconnected("giving back a use of a client limit"))
    }
}

impl EventPublisher for Nowhere {
    async fn publish(&self, _: &OrderEvent) -> Result<(), PortError> {
        Err(unconnected("publishing an event"))
    }
}

impl QueueSender for Nowhere {
    async fn send_batch(&self, _: &[OutgoingMessage]) -> Result<SendReport, PortError> {
        Err(unconnected("sending messages"))
    }
}

impl Mailer for Nowhere {
    async fn send(&self, _: &Email) -> Result<String, PortError> {
        Err(unconnected("sending an email"))
    }
}

impl PartnerClient for Nowhere {
    async fn call(&self, _: &PartnerCall) -> Result<(), PartnerError> {
        Err(PartnerError::Unreachable(unconnected("calling a partner").into()))
    }
}
