//! The AWS adapters against moto on loopback: the port contract, partner calls over HTTP, EMF
//! metrics.
//!
//! One test binary for the crate (each file a module), so a change links it once.

mod contract_on_moto;
mod metrics_in_emf;
mod partner_over_http;
