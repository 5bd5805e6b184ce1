//! The SES stand-in: every email is kept, for `GET /_local/mail`, and with an SMTP relay
//! configured also owed to it (`smtp_outbox`) in the same transaction.

use crate::error::StoreError;
use crate::store::{Store, now_millis};
use cakeshop_ports::{Email, Mailer, PortError};
use rusqlite::params;
use serde::Serialize;

/// The feed (see `Store::feed_watch`) that gains an item with every email kept.
pub const MAIL_FEED: &str = "mail";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredEmail {
    /// Increases with every email kept: `GET /_local/mail?after=<seq>` reads only newer ones.
    pub seq: i64,
    pub message_id: String,
    pub order_id: String,
    pub to: String,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub sent_ms: i64,
}

/// The mailbox's columns as `email_from_row` reads them, for queries that join it.
pub(crate) const EMAIL_COLUMNS: &str = "mailbox.id, mailbox.message_id, mailbox.order_id, mailbox.recipient, mailbox.sender, \
     mailbox.subject, mailbox.text, mailbox.html, mailbox.sent_ms";

pub(crate) fn email_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEmail> {
    Ok(StoredEmail {
        seq: row.get(0)?,
        message_id: row.get(1)?,
        order_id: row.get(2)?,
        to: row.get(3)?,
        from: row.get(4)?,
        subject: row.get(5)?,
        text: row.get(6)?,
        html: row.get(7)?,
        sent_ms: row.get(8)?,
    })
}

#[derive(Clone)]
pub struct LocalMailer {
    pub(crate) store: Store,
    /// Whether every email kept is also owed to the SMTP relay.
    relayed: bool,
}

impl LocalMailer {
    /// Emails kept in the mailbox only.
    pub fn new(store: Store) -> LocalMailer {
        LocalMailer { store, relayed: false }
    }

    /// Emails kept in the mailbox and queued, in the same transaction, for the SMTP relay
    /// (see `SmtpOutbox`): one email sent for each one kept.
    pub fn relayed(store: Store) -> LocalMailer {
        LocalMailer { store, relayed: true }
    }

    /// Every email, oldest first.
    pub fn all(&self) -> Result<Vec<StoredEmail>, StoreError> {
        self.after(0, usize::MAX)
    }

    /// At most `limit` emails kept after the one numbered `seq`, oldest first.
    pub fn after(&self, seq: i64, limit: usize) -> Result<Vec<StoredEmail>, StoreError> {
        self.store.read(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {EMAIL_COLUMNS} FROM mailbox WHERE id > ?1 ORDER BY id LIMIT ?2"
            ))?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = statement.query_map(params![seq, limit], email_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}

impl Mailer for LocalMailer {
    async fn send(&self, email: &Email) -> Result<String, PortError> {
        let fresh_id = format!("local-{}", uuid::Uuid::new_v4());
        let email = email.clone();
        let relayed = self.relayed;
        let sent = self
            .store
            .write(move |connection| {
                let inserted = connection
                    .prepare_cached(
                        "INSERT INTO mailbox (message_id, idempotency_key, order_id, recipient, sender, subject, text, html, sent_ms) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (idempotency_key) DO NOTHING",
                    )?
                    .execute(params![
                        fresh_id,
                        email.idempotency_key,
                        email.order_id.as_str(),
                        email.to,
                        email.from,
                        email.subject,
                        email.text,
                        email.html,
                        now_millis()
                    ])?;
                if inserted == 1 {
                    if relayed {
                        // Owed to the relay at once (see `SmtpOutbox`), in the same transaction.
                        connection
                            .prepare_cached("INSERT INTO smtp_outbox (mail_id, next_attempt_ms) VALUES (?1, 0)")?
                            .execute([connection.last_insert_rowid()])?;
                    }
                    return Ok(fresh_id);
                }
                tracing::info!(idempotency_key = email.idempotency_key, "repeated email not sent again");
                Ok(connection
                    .prepare_cached("SELECT message_id FROM mailbox WHERE idempotency_key = ?1")?
                    .query_row([&email.idempotency_key], |row| row.get(0))?)
            })
            .await
            .map_err(|e| PortError::new("sending an email", e));
        if sent.is_ok() {
            self.store.feed_was_written(MAIL_FEED);
        }
        crate::faults::crash_point(|| "after-email".into());
        sent
    }
}
