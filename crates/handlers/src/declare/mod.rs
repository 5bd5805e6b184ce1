//! How a function of the shop is declared: its name (the key in `serverless.yml`), its trigger's
//! event and response (`triggers`), its HTTP routes with who may call each (`routes`), and how its
//! handler is built from a backend's ports (`ports`), which also says what it reads from its
//! environment (`needs`).
//!
//! Each function's declaration sits at the top of its own module (`orders::place_order`,
//! `shop`, …); `functions` lists them all.

mod needs;
mod ports;
pub mod routes;
mod triggers;

pub use needs::{Needs, needs};
pub use ports::{Ports, baker_key, signer};
pub use routes::{Access, NoRoutes, Route, Routes};
pub use triggers::{Answer, Event, IntoAnswer, Trigger, TriggerEvent};

use serde::Serialize;
use std::future::Future;

/// One function of the shop.
pub trait Function: 'static {
    /// The function's name: its key under `functions:` in `serverless.yml`, its binary's name.
    const NAME: &'static str;
    /// One line on what it does, for `cakeshop functions` (which prints its trigger and routes
    /// beside it, from the declaration).
    const SUMMARY: &'static str;
    /// Whether `build` asks for a secret (a test holds the two together). A Lambda that reads
    /// none is built without the code that fetches secrets from SSM, some 160 KB of its zip.
    const READS_SECRETS: bool;
    type Event: TriggerEvent;
    type Response: Serialize + IntoAnswer + Send + 'static;
    /// The HTTP routes it serves, each typed once (`NoRoutes` for a function with another
    /// trigger): its handler dispatches on them, and `serverless.yml` must route exactly these.
    type Routes: Routes;
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
