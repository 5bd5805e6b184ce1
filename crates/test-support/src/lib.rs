//! Test-only helpers shared by the crates' tests: moto, the AWS emulator, started on a free
//! loopback port and stopped with the test (`MotoServer`), and a mail server (`smtp_server`).

mod free_port;
mod moto;
pub mod smtp_server;

pub use free_port::free_port;
pub use moto::MotoServer;
