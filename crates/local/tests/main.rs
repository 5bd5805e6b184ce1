//! The one-machine runtime: the event source mappings' semantics, the partner stand-ins, the
//! console's metrics, and `serverless.yml` held to the declarations.
//!
//! One test binary for the crate (each file a module), so a change links it once.

mod support;

mod client_address_behind_a_proxy;
mod environments_match_declarations;
mod feed_waits;
mod mapping_semantics;
mod metrics_in_the_console;
mod partner_contract;
mod partner_faults;
mod routes_match_declarations;
mod schedule_triggers;
