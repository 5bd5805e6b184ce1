//! `serverless.yml` routes exactly the routes each function declares (`http_routes!` beside its
//! handler): a route missing there would never reach the function on AWS or in `cakeshop dev`,
//! and one no function declares would reach a handler that answers it 404.

use super::Wiring;
use cakeshop_handlers::functions::{Function, Routes, Visit, visit_all};
use std::collections::BTreeSet;

/// Every disagreement between the routes `wiring` gives each function and the ones it declares,
/// one line each; none when they agree.
pub fn route_disagreements(wiring: &Wiring) -> Vec<String> {
    struct Compare<'w> {
        wiring: &'w Wiring,
        declared_functions: BTreeSet<&'static str>,
        found: Vec<String>,
    }
    impl Visit for Compare<'_> {
        fn function<F: Function>(&mut self) {
            self.declared_functions.insert(F::NAME);
            let Some(deployed) = self.wiring.function(F::NAME) else {
                return;
            };
            let routed: BTreeSet<String> = deployed.routes.iter().map(|route| route.route_key()).collect();
            let declared: BTreeSet<String> = F::Routes::declared().iter().map(|route| route.key()).collect();
            for missing in declared.difference(&routed) {
                self.found.push(format!(
                    "{}: declares {missing}, which serverless.yml does not route to it",
                    F::NAME
                ));
            }
            for extra in routed.difference(&declared) {
                self.found.push(format!(
                    "{}: serverless.yml routes {extra} to it, which it does not declare",
                    F::NAME
                ));
            }
        }
    }
    let mut compare = Compare {
        wiring,
        declared_functions: BTreeSet::new(),
        found: Vec::new(),
    };
    visit_all(&mut compare);
    for function in &wiring.functions {
        if !compare.declared_functions.contains(function.name.as_str()) && !function.routes.is_empty() {
            compare.found.push(format!(
                "{}: routed in serverless.yml but not a declared function",
                function.name
            ));
        }
    }
    compare.found
}
