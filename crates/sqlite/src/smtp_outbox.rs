//! Emails owed to the SMTP relay (`SMTP_URL`): a row is written in the transaction that keeps
//! the email in the mailbox (`LocalMailer::relayed`) and deleted once the relay's server has
//! taken it, so an email kept is sent even if the process stops right after keeping it.

use super::mailbox::{EMAIL_COLUMNS, email_from_row};
use crate::error::StoreError;
use crate::mailbox::StoredEmail;
use crate::store::Store;
use rusqlite::params;

/// An email the relay owes, with the tries it took so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedEmail {
    pub email: StoredEmail,
    pub attempts: i64,
}

/// How many emails the relay owes, and how many it gave up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxCounts {
    pub owed: i64,
    pub refused: i64,
}

#[derive(Clone)]
pub struct SmtpOutbox {
    store: Store,
}

impl SmtpOutbox {
    pub fn new(store: Store) -> SmtpOutbox {
        SmtpOutbox { store }
    }

    /// At most `limit` owed emails due by `now_ms`, those due longest first.
    pub fn due(&self, now_ms: i64, limit: usize) -> Result<Vec<OwedEmail>, StoreError> {
        self.store.read(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {EMAIL_COLUMNS}, smtp_outbox.attempts FROM smtp_outbox \
                 JOIN mailbox ON mailbox.id = smtp_outbox.mail_id \
                 WHERE smtp_outbox.refused_ms IS NULL AND smtp_outbox.next_attempt_ms <= ?1 \
                 ORDER BY smtp_outbox.next_attempt_ms, smtp_outbox.mail_id LIMIT ?2"
            ))?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = statement.query_map(params![now_ms, limit], |row| {
                Ok(OwedEmail {
                    email: email_from_row(row)?,
                    attempts: row.get(9)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// When the next owed email is due (Unix ms), if one is.
    pub fn next_due_ms(&self) -> Result<Option<i64>, StoreError> {
        self.store.read(|connection| {
            Ok(connection
                .prepare_cached("SELECT min(next_attempt_ms) FROM smtp_outbox WHERE refused_ms IS NULL")?
                .query_row([], |row| row.get(0))?)
        })
    }

    pub fn counts(&self) -> Result<OutboxCounts, StoreError> {
        self.store.read(|connection| {
            Ok(connection
                .prepare_cached(
                    "SELECT count(*) FILTER (WHERE refused_ms IS NULL), count(*) FILTER (WHERE refused_ms IS NOT NULL) \
                     FROM smtp_outbox",
                )?
                .query_row([], |row| {
                    Ok(OutboxCounts {
                        owed: row.get(0)?,
                        refused: row.get(1)?,
                    })
                })?)
        })
    }

    /// The relay's server took the email: nothing is owed for it any more.
    pub async fn sent(&self, mail_id: i64) -> Result<(), StoreError> {
        self.store
            .write(move |connection| {
                connection
                    .prepare_cached("DELETE FROM smtp_outbox WHERE mail_id = ?1")?
                    .execute([mail_id])?;
                Ok(())
            })
            .await
    }

    /// A try failed for a reason that may pass: try again at `at_ms`.
    pub async fn retry_at(&self, mail_id: i64, at_ms: i64, error: String) -> Result<(), StoreError> {
        self.record_try(
            "UPDATE smtp_outbox SET attempts = attempts + 1, next_attempt_ms = ?2, last_error = ?3 WHERE mail_id = ?1",
            mail_id,
            at_ms,
            error,
        )
        .await
    }

    /// The server refused the email for good (a 5xx answer): it is kept, with why, and not
    /// tried again.
    pub async fn refused(&self, mail_id: i64, error: String) -> Result<(), StoreError> {
        self.record_try(
            "UPDATE smtp_outbox SET attempts = attempts + 1, refused_ms = ?2, last_error = ?3 WHERE mail_id = ?1",
            mail_id,
            crate::store::now_millis(),
            error,
        )
        .await
    }

    /// A failed try of `mail_id`, by `update` with the row, a time and the error.
    async fn record_try(
        &self,
        update: &'static str,
        mail_id: i64,
        at_ms: i64,
        error: String,
    ) -> Result<(), StoreError> {
        self.store
            .write(move |connection| {
                connection
                    .prepare_cached(update)?
                    .execute(params![mail_id, at_ms, error])?;
                Ok(())
            })
            .await
    }
}
