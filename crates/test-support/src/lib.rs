//! Test-only helpers shared by the crates' tests: moto, the AWS emulator, started on a free
//! loopback port and stopped with the test (`MotoServer`), a mail server (`smtp_server`), and
//! Caddy running the project's reverse-proxy recipe (`Caddy`).

mod caddy;
mod free_port;
mod moto;
pub mod smtp_server;

pub use caddy::Caddy;
pub use free_port::free_port;
pub use moto::MotoServer;
