//! Real email for the local backend: with `SMTP_URL`, every email kept in the mailbox is also
//! sent through that server (`relay`), exactly once per email kept unless the process stops
//! between the server taking it and the store recording so (then twice, under one Message-ID).
//!
//! - `settings`: `SMTP_URL` and `SMTP_CA_FILE`, read and checked.
//! - `relay`: the loop that sends what the store owes, with retries.

mod relay;
mod settings;

pub use relay::{start, warn_of_owed_emails};
pub use settings::{Security, SmtpSettings, SmtpSettingsError};
