//! SQS-like queues: messages become invisible for the visibility timeout when received, count
//! their receives, and are moved to the dead-letter queue when a receive would exceed
//! `maxReceiveCount`; the dead-letter queue remembers where each message came from, for redrive.

use crate::error::StoreError;
use crate::store::{Store, now_millis};
use cakeshop_ports::{OutgoingMessage, PortError, QueueSender, SendReport};
use rusqlite::{Connection, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    pub message_id: String,
    pub body: String,
    pub sent_ms: i64,
    /// Receives so far, this one included.
    pub receive_count: i64,
    pub first_receive_ms: i64,
    /// For a dead-lettered message, the queue it came from.
    pub dead_letter_source: Option<String>,
    /// The `traceparent` attribute it was sent with.
    pub traceparent: Option<String>,
}

/// Where messages go after too many receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redrive {
    pub dead_letter_queue: String,
    pub max_receive_count: i64,
}

/// The columns `message_from_row` reads, first in a `SELECT`.
pub(crate) const MESSAGE_COLUMNS: &str =
    "message_id, body, sent_ms, receive_count, first_receive_ms, dead_letter_source, traceparent";

/// A message from a row that starts with `MESSAGE_COLUMNS`.
pub(crate) fn message_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<QueueMessage> {
    Ok(QueueMessage {
        message_id: row.get(0)?,
        body: row.get(1)?,
        sent_ms: row.get(2)?,
        receive_count: row.get(3)?,
        first_receive_ms: row.get::<_, Option<i64>>(4)?.unwrap_or_default(),
        dead_letter_source: row.get(5)?,
        traceparent: row.get(6)?,
    })
}

/// One named queue; the local implementation of the queue sender.
#[derive(Clone)]
pub struct LocalQueue {
    pub(crate) store: Store,
    pub(crate) name: String,
}

impl LocalQueue {
    pub fn new(store: Store, name: impl Into<String>) -> LocalQueue {
        LocalQueue {
            store,
            name: name.into(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Changes whenever a message is added to this queue.
    pub fn watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.store.queue_watch(&self.name)
    }

    /// Adds messages, all visible at once; returns their ids.
    pub fn send_bodies<'a>(&self, bodies: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>, StoreError> {
        let ids = self.store.with_transaction(|connection| {
            insert_messages(connection, &self.name, bodies.into_iter().map(|body| (body, None)))
        })?;
        self.store.queue_was_written(&self.name);
        Ok(ids)
    }

    /// Receives up to `max` visible messages, hiding them for `visibility_ms`. Messages already
    /// received `max_receive_count` times go to the dead-letter queue instead.
    pub async fn receive(
        &self,
        max: usize,
        visibility_ms: i64,
        redrive: Option<&Redrive>,
    ) -> Result<Vec<QueueMessage>, StoreError> {
        let name = self.name.clone();
        let dead_letters = redrive.cloned();
        let (received, dead_lettered) = self
            .store
            .write(move |transaction| receive_messages(transaction, &name, max, visibility_ms, dead_letters.as_ref()))
            .await?;
        if let (true, Some(redrive)) = (dead_lettered, redrive) {
            self.store.queue_was_written(&redrive.dead_letter_queue);
        }
        Ok(received)
    }

    /// Deletes a message after it was handled, unless it has been received again since
    /// (its visibility timeout ran out and another receive owns it now).
    pub async fn delete(&self, message: &QueueMessage) -> Result<bool, StoreError> {
        let (name, message_id, receive_count) = (self.name.clone(), message.message_id.clone(), message.receive_count);
        self.store
            .write(move |connection| {
                let deleted = connection
                    .prepare_cached(
                        "DELETE FROM queue_messages WHERE message_id = ?1 AND queue = ?2 AND receive_count = ?3",
                    )?
                    .execute(params![message_id, name, receive_count])?;
                Ok(deleted == 1)
            })
            .await
    }

    /// Deletes a message whatever its receive count (for dead letters a person dealt with).
    pub fn delete_any(&self, message_id: &str) -> Result<bool, StoreError> {
        self.store.with(|connection| {
            let deleted = connection
                .prepare_cached("DELETE FROM queue_messages WHERE message_id = ?1 AND queue = ?2")?
                .execute(params![message_id, self.name])?;
            Ok(deleted == 1)
        })
    }

    /// The earliest time a hidden message becomes visible again, if any is hidden.
    pub fn next_visible_ms(&self) -> Result<Option<i64>, StoreError> {
        self.store.read(|connection| {
            Ok(connection
                .prepare_cached("SELECT MIN(visible_at_ms) FROM queue_messages WHERE queue = ?1")?
                .query_row([&self.name], |row| row.get(0))?)
        })
    }

    /// Every message in the queue, visible or not, oldest first.
    pub fn list(&self) -> Result<Vec<QueueMessage>, StoreError> {
        self.store.read(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM queue_messages WHERE queue = ?1 ORDER BY sent_ms, message_id"
            ))?;
            let rows = statement.query_map([&self.name], message_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Moves every message of this (dead-letter) queue back to the queue it came from, as new,
    /// visible, never-received messages. Returns how many moved, by destination.
    pub fn redrive(&self) -> Result<Vec<(String, usize)>, StoreError> {
        let moved = self.store.with(|connection| {
            let transaction = connection.transaction()?;
            let now = now_millis();
            let mut moved: Vec<(String, usize)> = Vec::new();
            {
                let mut sources = transaction.prepare_cached(
                    "SELECT DISTINCT dead_letter_source FROM queue_messages WHERE queue = ?1 AND dead_letter_source IS NOT NULL",
                )?;
                let sources = sources.query_map([&self.name], |row| row.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
                let mut back = transaction.prepare_cached(
                    "UPDATE queue_messages SET queue = ?2, dead_letter_source = NULL, receive_count = 0, \
                     first_receive_ms = NULL, visible_at_ms = ?3 WHERE queue = ?1 AND dead_letter_source = ?2",
                )?;
                for source in sources {
                    let count = back.execute(params![self.name, source, now])?;
                    moved.push((source, count));
                }
            }
            transaction.commit()?;
            Ok(moved)
        })?;
        for (queue, _) in &moved {
            self.store.queue_was_written(queue);
        }
        Ok(moved)
    }
}

impl QueueSender for LocalQueue {
    async fn send_batch(&self, messages: &[OutgoingMessage]) -> Result<SendReport, PortError> {
        if messages.is_empty() {
            return Ok(SendReport::default());
        }
        let name = self.name.clone();
        let messages: Vec<(String, Option<String>)> = messages
            .iter()
            .map(|m| (m.body.clone(), m.trace.map(|trace| trace.to_string())))
            .collect();
        // One write: either every message is in the queue or none is.
        self.store
            .write(move |connection| {
                let rows = messages.iter().map(|(body, trace)| (body.as_str(), trace.as_deref()));
                insert_messages(connection, &name, rows)
            })
            .await
            .map_err(|e| PortError::new("sending messages", e))?;
        self.store.queue_was_written(&self.name);
        Ok(SendReport::default())
    }
}

/// Adds messages (body, `traceparent`) to `queue`, all visible at once; returns their ids.
fn insert_messages<'a>(
    connection: &Connection,
    queue: &str,
    messages: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> Result<Vec<String>, StoreError> {
    let now = now_millis();
    let mut insert = connection.prepare_cached(
        "INSERT INTO queue_messages (message_id, queue, body, sent_ms, visible_at_ms, traceparent) \
         VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
    )?;
    let mut ids = Vec::new();
    for (body, traceparent) in messages {
        let id = uuid::Uuid::new_v4().to_string();
        insert.execute(params![id, queue, body, now, traceparent])?;
        ids.push(id);
    }
    Ok(ids)
}

/// Receives up to `max` visible messages of `queue` (see `LocalQueue::receive`); also says
/// whether any went to the dead-letter queue.
fn receive_messages(
    connection: &Connection,
    queue: &str,
    max: usize,
    visibility_ms: i64,
    redrive: Option<&Redrive>,
) -> Result<(Vec<QueueMessage>, bool), StoreError> {
    let now = now_millis();
    let mut ready = connection.prepare_cached(
        "SELECT message_id, body, sent_ms, receive_count, first_receive_ms, dead_letter_source, traceparent \
         FROM queue_messages WHERE queue = ?1 AND visible_at_ms <= ?2 ORDER BY visible_at_ms, sent_ms LIMIT ?3",
    )?;
    let candidates = ready
        .query_map(params![queue, now, (max * 2) as i64], |row| {
            Ok(QueueMessage {
                message_id: row.get(0)?,
                body: row.get(1)?,
                sent_ms: row.get(2)?,
                receive_count: row.get(3)?,
                first_receive_ms: row.get::<_, Option<i64>>(4)?.unwrap_or(now),
                dead_letter_source: row.get(5)?,
                traceparent: row.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut hide = connection.prepare_cached(
        "UPDATE queue_messages SET visible_at_ms = ?2, receive_count = receive_count + 1, \
         first_receive_ms = COALESCE(first_receive_ms, ?3) WHERE message_id = ?1",
    )?;
    let mut move_to_dlq = connection.prepare_cached(
        "UPDATE queue_messages SET queue = ?2, dead_letter_source = ?3, visible_at_ms = ?4 WHERE message_id = ?1",
    )?;
    let mut received = Vec::new();
    let mut dead_lettered = false;
    for mut message in candidates {
        if let Some(redrive) = redrive.filter(|r| message.receive_count >= r.max_receive_count) {
            move_to_dlq.execute(params![message.message_id, redrive.dead_letter_queue, queue, now])?;
            tracing::warn!(
                queue,
                message_id = message.message_id,
                receives = message.receive_count,
                "moved to the dead-letter queue"
            );
            dead_lettered = true;
            continue;
        }
        if received.len() == max {
            break;
        }
        hide.execute(params![message.message_id, now + visibility_ms, now])?;
        message.receive_count += 1;
        received.push(message);
    }
    Ok((received, dead_lettered))
}

/// Makes every message received but not yet deleted visible again at once: for a store that
/// no consumer can be holding messages of (a restored backup), where waiting out their
/// visibility timeouts would only delay them.
pub(crate) fn release_received(connection: &Connection) -> rusqlite::Result<usize> {
    connection.execute(
        "UPDATE queue_messages SET visible_at_ms = ?1 WHERE visible_at_ms > ?1",
        [crate::store::now_millis()],
    )
}

impl Store {
    /// Makes every queue message an earlier process received and never deleted visible at
    /// once, and says how many there were. Only for the holder of the data directory's lock:
    /// no one else can be handling them, so waiting out their visibility would only delay them.
    pub fn release_received_messages(&self) -> Result<usize, StoreError> {
        self.with(|connection| Ok(release_received(connection)?))
    }
}
