//! Where mappings on a real Kinesis stream keep their checkpoints (`--backend aws`).

use crate::error::StoreError;
use crate::store::Store;
use rusqlite::{OptionalExtension, params};

impl Store {
    pub fn remote_checkpoint(
        &self,
        stream: &str,
        consumer: &str,
        shard_id: &str,
    ) -> Result<Option<String>, StoreError> {
        self.with(|connection| {
            let sequence = connection
                .prepare_cached(
                    "SELECT sequence FROM remote_checkpoints WHERE stream = ?1 AND consumer = ?2 AND shard_id = ?3",
                )?
                .query_row(params![stream, consumer, shard_id], |row| {
                    row.get::<_, Option<String>>(0)
                })
                .optional()?;
            Ok(sequence.flatten())
        })
    }

    pub fn set_remote_checkpoint(
        &self,
        stream: &str,
        consumer: &str,
        shard_id: &str,
        sequence: Option<&str>,
    ) -> Result<(), StoreError> {
        self.with(|connection| {
            connection
                .prepare_cached(
                    "INSERT INTO remote_checkpoints (stream, consumer, shard_id, sequence) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (stream, consumer, shard_id) DO UPDATE SET sequence = excluded.sequence",
                )?
                .execute(params![stream, consumer, shard_id, sequence])?;
            Ok(())
        })
    }
}
