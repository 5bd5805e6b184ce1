//! The store's tables. Created on first open; `IF NOT EXISTS` makes reopening a no-op.

use crate::error::{StoreError, corrupt};
use cakeshop_domain::Catalogue;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, params};
use std::time::Duration;

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
-- In WAL mode NORMAL survives any crash of the process (a commit is in the log before the
-- call returns); only a power cut can lose the last commits.
PRAGMA synchronous = NORMAL;
-- The store's checkpoint thread copies the log back (checkpointer.rs), not the commits.
PRAGMA wal_autocheckpoint = 0;

-- created_ms (when the order was placed, Unix ms) keys the index of orders by status; stores
-- made before it existed get it from `migrations` on open.
CREATE TABLE IF NOT EXISTS orders (
    order_id   TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    document   TEXT NOT NULL,
    created_ms INTEGER
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS order_steps (
    order_id   TEXT NOT NULL,
    step       TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (order_id, step)
) WITHOUT ROWID;

-- Events a stored change still owes the stream (see cakeshop_ports::Outbox): a row is written
-- in the same transaction as the change and deleted once the event is published.
CREATE TABLE IF NOT EXISTS outbox (
    order_id   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    marked_ms  INTEGER NOT NULL,
    PRIMARY KEY (order_id, kind)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outbox_by_age ON outbox (marked_ms);

-- The shop's rules, one row each ('catalogue', 'capacity', 'shop'): the domain value as JSON
-- and the version a save must name to replace it (see cakeshop_ports::Bakery).
CREATE TABLE IF NOT EXISTS shop_settings (
    name       TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    document   TEXT NOT NULL
) WITHOUT ROWID;

-- Cakes booked per delivery day (YYYY-MM-DD): taken in the transaction that stores an order,
-- given back in the one that cancels it. A day nothing was booked on has no row.
CREATE TABLE IF NOT EXISTS booked_days (
    day        TEXT PRIMARY KEY,
    booked     INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS stream_records (
    shard         INTEGER NOT NULL,
    sequence      INTEGER NOT NULL,
    partition_key TEXT NOT NULL,
    data          BLOB NOT NULL,
    arrived_ms    INTEGER NOT NULL,
    PRIMARY KEY (shard, sequence)
) WITHOUT ROWID;

-- The last sequence number each shard gave out, kept when retention trims its records.
CREATE TABLE IF NOT EXISTS stream_sequences (
    shard      INTEGER PRIMARY KEY,
    last       INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS stream_checkpoints (
    consumer   TEXT NOT NULL,
    shard      INTEGER NOT NULL,
    sequence   INTEGER NOT NULL,
    PRIMARY KEY (consumer, shard)
) WITHOUT ROWID;

-- Checkpoints of mappings on a real (or emulated) Kinesis stream, run by `--backend aws`:
-- shard ids and sequence numbers as Kinesis writes them.
CREATE TABLE IF NOT EXISTS remote_checkpoints (
    stream     TEXT NOT NULL,
    consumer   TEXT NOT NULL,
    shard_id   TEXT NOT NULL,
    sequence   TEXT,
    PRIMARY KEY (stream, consumer, shard_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS queue_messages (
    message_id     TEXT PRIMARY KEY,
    queue          TEXT NOT NULL,
    body           TEXT NOT NULL,
    sent_ms        INTEGER NOT NULL,
    visible_at_ms  INTEGER NOT NULL,
    receive_count  INTEGER NOT NULL DEFAULT 0,
    first_receive_ms INTEGER,
    -- Set when a message was dead-lettered: the queue it came from, for redrive.
    dead_letter_source TEXT,
    -- The message's `traceparent` attribute (W3C trace context), if it was sent with one;
    -- stores made before it existed get the column from `migrations` on open.
    traceparent    TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS queue_messages_ready ON queue_messages (queue, visible_at_ms);

CREATE TABLE IF NOT EXISTS mailbox (
    id         INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    -- A retried send of the same email (same key) is kept once, as an idempotent provider would.
    idempotency_key TEXT NOT NULL UNIQUE,
    order_id   TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    sender     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    text       TEXT NOT NULL,
    html       TEXT NOT NULL,
    sent_ms    INTEGER NOT NULL
);

-- Emails owed to the SMTP relay (see smtp_outbox.rs): written with the mailbox's row, deleted
-- once the relay's server took the email. refused_ms: the server refused it for good.
CREATE TABLE IF NOT EXISTS smtp_outbox (
    mail_id         INTEGER PRIMARY KEY REFERENCES mailbox (id),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    last_error      TEXT,
    refused_ms      INTEGER
);
CREATE INDEX IF NOT EXISTS smtp_outbox_due ON smtp_outbox (next_attempt_ms) WHERE refused_ms IS NULL;

-- Client limits' fixed-window counters (`limits`), kept until their window ends.
CREATE TABLE IF NOT EXISTS limit_counters (
    key        TEXT PRIMARY KEY,
    hits       INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS limit_counters_by_expiry ON limit_counters (expires_at);

CREATE TABLE IF NOT EXISTS partner_calls (
    id              INTEGER PRIMARY KEY,
    partner         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    -- Whether a call with this key had come before: the partner would not act on it again.
    repeat          INTEGER NOT NULL,
    body            TEXT NOT NULL,
    received_ms     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS partner_calls_by_partner ON partner_calls (partner, id);
-- Telling a repeat from a first call must not read every call the partner ever had.
CREATE INDEX IF NOT EXISTS partner_calls_by_key ON partner_calls (partner, idempotency_key);
";

pub fn prepare(connection: &mut Connection) -> Result<(), crate::error::StoreError> {
    configure(connection)?;
    connection.execute_batch(SCHEMA)?;
    super::migrations::index_orders_by_status(connection)?;
    super::migrations::orders_with_catalogue_ids_and_days(connection)?;
    super::migrations::queue_messages_with_traceparent(connection)?;
    stock_sample_catalogue(connection)
}

/// Settings of every connection the store uses.
pub fn configure(connection: &mut Connection) -> Result<(), crate::error::StoreError> {
    // Plans must not depend on bound values: otherwise SQLite re-parses a statement whose
    // `LIMIT ?` or range bound it peeked at every time the cached statement is reused.
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    // Room for every statement the store prepares, so none is parsed twice.
    connection.set_prepared_statement_cache_capacity(64);
    connection.busy_handler(Some(retry_soon))?;
    Ok(())
}

/// Waits for a lock another connection holds. SQLite's own busy timeout sleeps 1, 2, 5, 10…
/// ms between tries, but the store's locks are held for well under a millisecond (the
/// checkpointer restarting the log, a read starting), so a commit that found one taken slept
/// far longer than the lock was held. This tries again every 100 µs, for up to 5 s.
fn retry_soon(tries_so_far: i32) -> bool {
    const PAUSE: Duration = Duration::from_micros(100);
    const MOST_TRIES: i32 = 50_000;
    if tries_so_far >= MOST_TRIES {
        return false;
    }
    std::thread::sleep(PAUSE);
    true
}

/// The `shop_settings` row of the catalogue.
pub(crate) const CATALOGUE: &str = "catalogue";

/// Stores the sample catalogue at version 1 unless a catalogue is stored: a new shop has cakes
/// to sell, and reopening a store changes nothing.
pub(crate) fn stock_sample_catalogue(connection: &Connection) -> Result<(), StoreError> {
    let document = serde_json::to_string(&Catalogue::sample()).map_err(|e| corrupt("catalogue", e))?;
    connection
        .prepare(
            "INSERT INTO shop_settings (name, version, document) VALUES (?1, 1, ?2) ON CONFLICT (name) DO NOTHING",
        )?
        .execute(params![CATALOGUE, document])?;
    Ok(())
}
