//! The embedded store against real SQLite files: the port contract, capacity and rules, seeding,
//! backups, the SMTP outbox.
//!
//! One test binary for the crate (each file a module), so a change links it once.

mod backup_and_restore;
mod capacity_and_rules;
mod contract_sqlite;
mod seeding_and_listing;
mod smtp_outbox;
