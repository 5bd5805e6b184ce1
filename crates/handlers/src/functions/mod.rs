//! Every function of the shop, listed once: binaries, `cakeshop dev` and tests derive from here.
//!
//! A function is declared at the top of its own module (`declare::Function`): its name, the key
//! in `serverless.yml`; its trigger's event and response; its routes; its handler built from a
//! backend's ports. This module lists them (`visit_all`) and gives what derives from the list:
//! the Lambda binaries (`lambdas/src/bin/*` call `cakeshop_lambdas::run::<Declaration>()`),
//! `cakeshop dev`'s dispatcher (`Registry`), `cakeshop functions` (which the deployment checks
//! read, routes included), and the tests that hold `serverless.yml`'s environments and routes to
//! what each function declares (`needs`, `Routes`).
//!
//! Adding a function: its module with its declaration, its line in `visit_all`, its entry in
//! `serverless.yml`, its binary in `lambdas/src/bin`.

mod registry;

pub use crate::declare::{
    Access, Answer, Event, Function, IntoAnswer, Needs, Ports, Route, Routes, Trigger, TriggerEvent, Visit, needs,
};
pub use crate::emails::notify_baker::NotifyBakerFunction;
pub use crate::emails::notify_customer::NotifyCustomerFunction;
pub use crate::orders::cancel_order::CancelOrderFunction;
pub use crate::orders::confirm_delivery::ConfirmDeliveryFunction;
pub use crate::orders::forward_feedback::ForwardFeedbackFunction;
pub use crate::orders::fulfill_order::FulfillOrderFunction;
pub use crate::orders::notify_delivery::NotifyDeliveryFunction;
pub use crate::orders::order_queries::OrderQueriesFunction;
pub use crate::orders::place_order::PlaceOrderFunction;
pub use crate::orders::relay_events::RelayEventsFunction;
pub use crate::orders::request_delivery::RequestDeliveryFunction;
pub use crate::shop::ManageShopFunction;
/// What `Ports::zone` gives, for backends that do not otherwise depend on the domain.
pub use cakeshop_domain::{ClientLimits, ShopZone, ShopZoneError};
pub use registry::{Invocation, InvocationError, Registry};

use serde::Serialize;

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
    /// The HTTP routes it serves, each with who may call it.
    pub routes: Vec<Route>,
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
                routes: F::Routes::declared(),
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
