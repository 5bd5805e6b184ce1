//! Every function, declared once: its name (the key in `serverless.yml`), the event it takes and
//! the response it gives, how its handler is built from a backend's ports, and how it is run.
//!
//! Everything that needs a function's name derives from here: the Lambda binaries
//! (`lambdas/src/bin/*` call `cakeshop_lambdas::run::<Declaration>()`), `cakeshop dev`'s
//! dispatcher (`Registry`), the handler tests' shop, `cakeshop functions` (which the deployment
//! checks read) and the test that holds `serverless.yml`'s environments to what each function
//! reads (`needs`).
//!
//! - `declared`: the eleven declarations.
//! - `ports`: what a backend gives a function to be built on (`Ports`).
//! - `needs`: what a function reads from its environment, found by building it unconnected.
//! - `triggers`: the four kinds of trigger and their event and response types.
//! - `registry`: the functions built on one backend, invoked by name.

mod declared;
mod needs;
mod ports;
mod registry;
mod triggers;

/// What `Ports::zone` gives, for backends that do not otherwise depend on the domain.
pub use cakeshop_domain::{ShopZone, ShopZoneError};
pub use declared::{
    CancelOrderFunction, ConfirmDeliveryFunction, ForwardFeedbackFunction, FulfillOrderFunction, ManageShopFunction,
    NotifyBakerFunction, NotifyCustomerFunction, NotifyDeliveryFunction, OrderQueriesFunction, PlaceOrderFunction,
    RelayEventsFunction, RequestDeliveryFunction,
};
pub use needs::{Needs, needs};
pub use ports::Ports;
pub use registry::{Invocation, InvocationError, Registry};
pub use triggers::{Answer, Event, IntoAnswer, Trigger, TriggerEvent};

use serde::Serialize;
use std::future::Future;

/// One function of the shop.
pub trait Function: 'static {
    /// The function's name: its key under `functions:` in `serverless.yml`, its binary's name.
    const NAME: &'static str;
    /// One line on what it does, for `cakeshop functions`.
    const SUMMARY: &'static str;
    /// Whether `build` asks for a secret (a test holds the two together). A Lambda that reads
    /// none is built without the code that fetches secrets from SSM, some 160 KB of its zip.
    const READS_SECRETS: bool;
    type Event: TriggerEvent;
    type Response: Serialize + IntoAnswer + Send + 'static;
    /// Why an invocation failed as a whole (most functions answer every failure in their
    /// response instead, and use `std::convert::Infallible`).
    type Error: std::error::Error + Send + Sync + 'static;
    /// The handler, on whichever adapters a backend provides.
    type Handler<P: Ports>: Send + Sync + 'static;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error>;

    fn handle<P: Ports>(
        handler: &Self::Handler<P>,
        event: Self::Event,
    ) -> impl Future<Output = Result<Self::Response, Self::Error>> + Send;
}

/// Visits every declared function, by type.
pub trait Visit {
    fn function<F: Function>(&mut self);
}

/// The one list of the shop's functions, in the order of the journey.
pub fn visit_all(visit: &mut impl Visit) {
    visit.function::<PlaceOrderFunction>();
    visit.function::<NotifyBakerFunction>();
    visit.function::<NotifyCustomerFunction>();
    visit.function::<FulfillOrderFunction>();
    visit.function::<RequestDeliveryFunction>();
    visit.function::<NotifyDeliveryFunction>();
    visit.function::<ConfirmDeliveryFunction>();
    visit.function::<ForwardFeedbackFunction>();
    visit.function::<CancelOrderFunction>();
    visit.function::<OrderQueriesFunction>();
    visit.function::<ManageShopFunction>();
    visit.function::<RelayEventsFunction>();
}

/// What `cakeshop functions` prints of one function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Description {
    pub name: &'static str,
    pub summary: &'static str,
    pub trigger: Trigger,
    pub environment: Vec<DescribedVariable>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DescribedVariable {
    pub name: &'static str,
    /// `plain`, `secret` (given itself or as `<NAME>_PARAMETER`), `seconds` or `time zone`.
    pub kind: &'static str,
}

/// Every declared function, described.
pub fn describe_all() -> Vec<Description> {
    struct Describe(Vec<Description>);
    impl Visit for Describe {
        fn function<F: Function>(&mut self) {
            self.0.push(Description {
                name: F::NAME,
                summary: F::SUMMARY,
                trigger: <F::Event as TriggerEvent>::TRIGGER,
                environment: needs::<F>()
                    .variables
                    .into_iter()
                    .map(|variable| DescribedVariable {
                        name: variable.name,
                        kind: variable.kind.as_str(),
                    })
                    .collect(),
            });
        }
    }
    let mut describe = Describe(Vec::new());
    visit_all(&mut describe);
    describe.0
}

/// The names of every declared function.
pub fn names() -> Vec<&'static str> {
    struct Names(Vec<&'static str>);
    impl Visit for Names {
        fn function<F: Function>(&mut self) {
            self.0.push(F::NAME);
        }
    }
    let mut names = Names(Vec::new());
    visit_all(&mut names);
    names.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use cakeshop_ports::VariableKind;

    #[test]
    fn each_declaration_says_whether_it_reads_a_secret() {
        struct Check(Vec<String>);
        impl Visit for Check {
            fn function<F: Function>(&mut self) {
                let reads = needs::<F>().variables.iter().any(|v| v.kind == VariableKind::Secret);
                if reads != F::READS_SECRETS {
                    self.0.push(format!(
                        "{}: READS_SECRETS is {}, build reads secrets: {reads}",
                        F::NAME,
                        F::READS_SECRETS
                    ));
                }
            }
        }
        let mut check = Check(Vec::new());
        visit_all(&mut check);
        assert_eq!(check.0, Vec::<String>::new());
    }
}
