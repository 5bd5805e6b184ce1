//! The declared functions built on one backend's ports, invoked by name: what `cakeshop dev`
//! runs behind its gateway and event source mappings.

use super::visit_all;
use crate::declare::{Answer, Event, Function, IntoAnswer, Ports, Trigger, TriggerEvent, Visit};
use futures::future::BoxFuture;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    #[error("function {0} is not one of the shop's functions")]
    Unknown(String),
    #[error("function {function} does not take {kind} events")]
    WrongTrigger { function: String, kind: &'static str },
    #[error("function {function} failed")]
    Failed {
        function: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// One function built on a backend, invocable with an event of any trigger.
pub trait Invocation: Send + Sync {
    fn name(&self) -> &'static str;
    fn trigger(&self) -> Trigger;
    fn invoke(self: Arc<Self>, event: Event) -> BoxFuture<'static, Result<Answer, InvocationError>>;
}

struct Built<F: Function, P: Ports> {
    handler: F::Handler<P>,
}

impl<F: Function, P: Ports + 'static> Invocation for Built<F, P> {
    fn name(&self) -> &'static str {
        F::NAME
    }

    fn trigger(&self) -> Trigger {
        <F::Event as TriggerEvent>::TRIGGER
    }

    fn invoke(self: Arc<Self>, event: Event) -> BoxFuture<'static, Result<Answer, InvocationError>> {
        Box::pin(async move {
            let event = F::Event::take(event).map_err(|other| InvocationError::WrongTrigger {
                function: F::NAME.to_owned(),
                kind: other.as_str(),
            })?;
            let failed = |source: Box<dyn std::error::Error + Send + Sync>| InvocationError::Failed {
                function: F::NAME.to_owned(),
                source,
            };
            let response = F::handle(&self.handler, event)
                .await
                .map_err(|error| failed(error.into()))?;
            response.into_answer().map_err(|error| failed(error.into()))
        })
    }
}

/// Every declared function, built on the ports `ports_for` gives each (by its name).
pub struct Registry {
    functions: BTreeMap<&'static str, Arc<dyn Invocation>>,
}

impl Registry {
    pub fn build<P, E>(mut ports_for: impl FnMut(&'static str) -> Result<P, E>) -> Result<Registry, E>
    where
        P: Ports + 'static,
        E: From<P::Error>,
    {
        struct Builder<'a, P, E> {
            ports_for: &'a mut dyn FnMut(&'static str) -> Result<P, E>,
            built: Result<BTreeMap<&'static str, Arc<dyn Invocation>>, E>,
        }
        impl<P: Ports + 'static, E: From<P::Error>> Visit for Builder<'_, P, E> {
            fn function<F: Function>(&mut self) {
                let Ok(built) = &mut self.built else { return };
                let handler = (self.ports_for)(F::NAME).and_then(|ports| F::build(&ports).map_err(E::from));
                match handler {
                    Ok(handler) => {
                        built.insert(F::NAME, Arc::new(Built::<F, P> { handler }));
                    }
                    Err(error) => self.built = Err(error),
                }
            }
        }
        let mut builder = Builder {
            ports_for: &mut ports_for,
            built: Ok(BTreeMap::new()),
        };
        visit_all(&mut builder);
        builder.built.map(|functions| Registry { functions })
    }

    pub fn get(&self, function: &str) -> Result<&Arc<dyn Invocation>, InvocationError> {
        self.functions
            .get(function)
            .ok_or_else(|| InvocationError::Unknown(function.to_owned()))
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.functions.keys().copied()
    }

    /// Invokes `function` with `event`, on the caller's task.
    pub async fn invoke(&self, function: &str, event: Event) -> Result<Answer, InvocationError> {
        Arc::clone(self.get(function)?).invoke(event).await
    }
}
