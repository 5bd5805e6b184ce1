//! One process per store: whoever runs the shop on a data directory holds an exclusive lock
//! (`flock`) on its lock file for as long as it lives, and writes there who it is. Two shops
//! on one store would both consume its stream and queues, and partners would hear of every
//! event twice. The kernel drops the lock when the process ends, however it ends, so a killed
//! shop never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

pub const LOCK_FILE: &str = "cakeshop.lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the data directory {} is in use by another cakeshop process ({holder}); stop it first, or give this one another --data-dir",
        data_dir.display()
    )]
    InUse { data_dir: PathBuf, holder: String },
    #[error("cannot lock the data directory {}", data_dir.display())]
    Io {
        data_dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The lock on a data directory, held until dropped.
#[derive(Debug)]
pub struct DataDirLock {
    file: File,
    data_dir: PathBuf,
}

impl DataDirLock {
    /// Takes the lock on `data_dir` (creating the directory if needed) for `purpose` (e.g.
    /// `cakeshop dev`), or says who holds it. It never waits.
    pub fn acquire(data_dir: &Path, purpose: &str) -> Result<DataDirLock, LockError> {
        let io = |source| LockError::Io {
            data_dir: data_dir.to_owned(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        // Not truncated on open: the holder's description must survive a refused attempt.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(data_dir.join(LOCK_FILE))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(LockError::InUse {
                    data_dir: data_dir.to_owned(),
                    holder: if holder.is_empty() {
                        "one that has not said who it is yet".into()
                    } else {
                        holder.to_owned()
                    },
                });
            }
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        let lock = DataDirLock {
            file,
            data_dir: data_dir.to_owned(),
        };
        lock.describe(&format!("pid {}, {purpose}", std::process::id()))?;
        Ok(lock)
    }

    /// Replaces what a refused process is told about the holder, e.g. once it has an address.
    pub fn describe(&self, holder: &str) -> Result<(), LockError> {
        let mut file = &self.file;
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(holder.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(|source| LockError::Io {
                data_dir: self.data_dir.clone(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_description_until_it_lets_go() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = DataDirLock::acquire(dir.path(), "cakeshop dev").expect("the first takes it");
        first
            .describe("pid 1, cakeshop dev at http://127.0.0.1:3000")
            .expect("described");
        let refused = DataDirLock::acquire(dir.path(), "cakeshop dev").expect_err("the second is refused");
        let message = refused.to_string();
        assert!(
            message.contains("pid 1, cakeshop dev at http://127.0.0.1:3000"),
            "{message}"
        );
        drop(first);
        DataDirLock::acquire(dir.path(), "cakeshop dev").expect("free once the first lets go");
    }
}
