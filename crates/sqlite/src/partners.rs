//! The partner stand-ins' memory: every call the local delivery company and customer service
//! received, for `GET /_local/partners/...`.

use crate::error::StoreError;
use crate::store::{Store, now_millis};
use rusqlite::params;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedCall {
    /// Increases with every call recorded: `?after=<seq>` reads only newer ones.
    pub seq: i64,
    pub idempotency_key: String,
    /// A call whose key had been seen before: the partner acknowledges it and does nothing.
    pub repeat: bool,
    /// The JSON document received.
    pub body: serde_json::Value,
    pub received_ms: i64,
}

/// The columns `call_from_row` reads, first in a `SELECT`.
pub(crate) const CALL_COLUMNS: &str = "id, idempotency_key, repeat, body, received_ms";

/// A call from a row that starts with `CALL_COLUMNS`. A body that is not JSON (the stand-in
/// takes only JSON, but the store is a file) is kept as text.
pub(crate) fn call_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RecordedCall> {
    let body: String = row.get(3)?;
    Ok(RecordedCall {
        seq: row.get(0)?,
        idempotency_key: row.get(1)?,
        repeat: row.get(2)?,
        body: serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body)),
        received_ms: row.get(4)?,
    })
}

impl Store {
    /// Records a call; returns whether it repeats an earlier key.
    pub async fn record_partner_call(
        &self,
        partner: &str,
        idempotency_key: &str,
        body: &str,
    ) -> Result<bool, StoreError> {
        let (feed, idempotency_key, body) = (partner.to_owned(), idempotency_key.to_owned(), body.to_owned());
        let partner = feed.clone();
        let repeat = self.write(move |connection| {
            let repeat: bool = !idempotency_key.is_empty()
                && connection
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM partner_calls WHERE partner = ?1 AND idempotency_key = ?2)")?
                    .query_row(params![partner, idempotency_key], |row| row.get(0))?;
            connection
                .prepare_cached(
                    "INSERT INTO partner_calls (partner, idempotency_key, repeat, body, received_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![partner, idempotency_key, repeat, body, now_millis()])?;
            Ok(repeat)
        })
        .await?;
        self.feed_was_written(&feed);
        Ok(repeat)
    }

    pub fn partner_calls(&self, partner: &str) -> Result<Vec<RecordedCall>, StoreError> {
        self.partner_calls_after(partner, 0, usize::MAX)
    }

    /// At most `limit` calls `partner` received after the one numbered `seq`, oldest first.
    pub fn partner_calls_after(&self, partner: &str, seq: i64, limit: usize) -> Result<Vec<RecordedCall>, StoreError> {
        self.read(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {CALL_COLUMNS} FROM partner_calls WHERE partner = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
            ))?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = statement.query_map(params![partner, seq, limit], call_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}
