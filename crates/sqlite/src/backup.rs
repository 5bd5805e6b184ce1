//! Backups: one self-contained SQLite file holding a consistent copy of the store, made with
//! SQLite's online backup while the shop goes on (a read transaction in WAL mode holds no
//! writer back), plus the small files of the data directory the store is useless without (the
//! local secrets that sign customers' links). A plain copy of the store file would miss what is
//! still in the write-ahead log, and could catch a page half written.

use crate::store::STORE_FILE;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The table of a backup holding the data directory's files beside the store's own tables.
const FILES_TABLE: &str = "cakeshop_backup_files";

/// How long the backup waits for a lock the shop holds for a moment (recovering the log).
const BUSY_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("there is no store in {} (nothing has run on this data directory)", data_dir.display())]
    NoStore { data_dir: PathBuf },
    #[error("{} already exists; give the backup a new name or remove the old file first", path.display())]
    Exists { path: PathBuf },
    #[error("{} is not a cakeshop backup", path.display())]
    NotABackup { path: PathBuf },
    #[error("{} is damaged: {problems}", path.display())]
    Damaged { path: PathBuf, problems: String },
    #[error(
        "restore goes into an empty data directory, and {} holds {found}; choose a new --data-dir",
        data_dir.display()
    )]
    NotEmpty { data_dir: PathBuf, found: String },
    #[error("SQLite, on {}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot read or write {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What a backup or a restore copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub orders: u64,
    pub bytes: u64,
    /// The data directory's files that went with the store.
    pub files: Vec<String>,
}

/// Copies the store in `data_dir` and its `files` (those present) into a new file `to`. It
/// writes beside `to` and renames at the end, so `to` is either a whole backup or absent.
pub fn back_up(data_dir: &Path, to: &Path, files: &[&str]) -> Result<Copied, BackupError> {
    let store = data_dir.join(STORE_FILE);
    if !store.exists() {
        return Err(BackupError::NoStore {
            data_dir: data_dir.to_owned(),
        });
    }
    if to.exists() {
        return Err(BackupError::Exists { path: to.to_owned() });
    }
    let partial = partial_path(to);
    let result = write_backup(&store, data_dir, &partial, files).and_then(|copied| {
        std::fs::rename(&partial, to).map_err(io(to))?;
        sync_parent(to)?;
        Ok(Copied {
            bytes: file_size(to)?,
            ..copied
        })
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn write_backup(store: &Path, data_dir: &Path, partial: &Path, files: &[&str]) -> Result<Copied, BackupError> {
    let _ = std::fs::remove_file(partial);
    // Read-write without create: a store in WAL mode needs its shared memory to read, and a
    // store that is not there must not be made.
    let source = Connection::open_with_flags(store, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(sqlite(store))?;
    source.busy_timeout(BUSY_WAIT).map_err(sqlite(store))?;
    let mut copy = Connection::open(partial).map_err(sqlite(partial))?;
    copy_whole(&source, &mut copy, store)?;
    drop(source);
    // One file, with no log beside it.
    copy.pragma_update_and_check(None, "journal_mode", "DELETE", |_| Ok(()))
        .map_err(sqlite(partial))?;
    let mut kept = Vec::new();
    copy.execute_batch(&format!(
        "CREATE TABLE {FILES_TABLE} (name TEXT PRIMARY KEY, content BLOB NOT NULL)"
    ))
    .map_err(sqlite(partial))?;
    for name in files {
        let path = data_dir.join(name);
        match std::fs::read(&path) {
            Ok(content) => {
                copy.execute(
                    &format!("INSERT INTO {FILES_TABLE} (name, content) VALUES (?1, ?2)"),
                    rusqlite::params![name, content],
                )
                .map_err(sqlite(partial))?;
                kept.push((*name).to_owned());
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(BackupError::Io { path, source }),
        }
    }
    check_integrity(&copy, partial)?;
    let orders = count_orders(&copy, partial)?;
    drop(copy);
    std::fs::File::open(partial)
        .and_then(|file| file.sync_all())
        .map_err(io(partial))?;
    Ok(Copied {
        orders,
        bytes: 0,
        files: kept,
    })
}

/// Restores the backup `from` into `data_dir`, which must be empty but for `ignore` (the
/// caller's lock file). The store file appears last, so a restore cut short leaves no store.
pub fn restore(from: &Path, data_dir: &Path, ignore: &[&str]) -> Result<Copied, BackupError> {
    if let Some(found) = first_entry(data_dir, ignore)? {
        return Err(BackupError::NotEmpty {
            data_dir: data_dir.to_owned(),
            found,
        });
    }
    let backup = open_backup(from)?;
    std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
    let files = backup_files(&backup, from)?;
    let orders = count_orders(&backup, from)?;
    let store = data_dir.join(STORE_FILE);
    let partial = partial_path(&store);
    let mut written = Vec::new();
    let result = (|| {
        let mut copy = Connection::open(&partial).map_err(sqlite(&partial))?;
        copy_whole(&backup, &mut copy, from)?;
        copy.execute_batch(&format!("DROP TABLE {FILES_TABLE}"))
            .map_err(sqlite(&partial))?;
        // The messages the shop was handling when the copy was taken have no consumer now.
        crate::queues::release_received(&copy).map_err(sqlite(&partial))?;
        drop(copy);
        std::fs::File::open(&partial)
            .and_then(|file| file.sync_all())
            .map_err(io(&partial))?;
        for (name, content) in &files {
            let path = data_dir.join(name);
            write_private(&path, content).map_err(io(&path))?;
            written.push(path);
        }
        std::fs::rename(&partial, &store).map_err(io(&store))?;
        sync_parent(&store)?;
        Ok(Copied {
            orders,
            bytes: file_size(&store)?,
            files: files.iter().map(|(name, _)| name.clone()).collect(),
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
        for path in written {
            let _ = std::fs::remove_file(path);
        }
    }
    result
}

/// What the backup `from` holds, once it is found sound: to check a file before anything is
/// written for its restore.
pub fn inspect(from: &Path) -> Result<Copied, BackupError> {
    let backup = open_backup(from)?;
    let files = backup_files(&backup, from)?;
    Ok(Copied {
        orders: count_orders(&backup, from)?,
        bytes: file_size(from)?,
        files: files.into_iter().map(|(name, _)| name).collect(),
    })
}

/// Opens `path` as a backup: a sound SQLite file with the files table.
fn open_backup(path: &Path) -> Result<Connection, BackupError> {
    if !path.is_file() {
        return Err(BackupError::Io {
            path: path.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let not_a_backup = || BackupError::NotABackup { path: path.to_owned() };
    let backup = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sqlite(path))?;
    let has_files: Option<String> = backup
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [FILES_TABLE],
            |row| row.get(0),
        )
        .optional()
        .map_err(|_| not_a_backup())?;
    if has_files.is_none() {
        return Err(not_a_backup());
    }
    check_integrity(&backup, path)?;
    Ok(backup)
}

fn backup_files(backup: &Connection, path: &Path) -> Result<Vec<(String, Vec<u8>)>, BackupError> {
    let mut statement = backup
        .prepare(&format!("SELECT name, content FROM {FILES_TABLE} ORDER BY name"))
        .map_err(sqlite(path))?;
    let rows = statement
        .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?)))
        .map_err(sqlite(path))?;
    let files = rows.collect::<Result<Vec<_>, _>>().map_err(sqlite(path))?;
    // A name is a file of the data directory, never a path out of it.
    if files
        .iter()
        .any(|(name, _)| Path::new(name).file_name() != Some(name.as_ref()))
    {
        return Err(BackupError::NotABackup { path: path.to_owned() });
    }
    Ok(files)
}

/// The whole database in one step: one read transaction, so one consistent moment.
fn copy_whole(from: &Connection, to: &mut Connection, path: &Path) -> Result<(), BackupError> {
    let backup = Backup::new(from, to).map_err(sqlite(path))?;
    let deadline = std::time::Instant::now() + BUSY_WAIT;
    loop {
        match backup.step(-1).map_err(sqlite(path))? {
            StepResult::Done => return Ok(()),
            // Busy or locked for a moment (a step of -1 is never More): try again, for a while.
            _ if std::time::Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                return Err(BackupError::Sqlite {
                    path: path.to_owned(),
                    source: rusqlite::Error::SqliteFailure(
                        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                        Some("the store stayed locked".to_owned()),
                    ),
                });
            }
        }
    }
}

fn check_integrity(connection: &Connection, path: &Path) -> Result<(), BackupError> {
    let damaged = |problems: String| BackupError::Damaged {
        path: path.to_owned(),
        problems,
    };
    let mut statement = connection
        .prepare("PRAGMA integrity_check")
        .map_err(|error| damaged(error.to_string()))?;
    let problems: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .and_then(|rows| rows.collect())
        .map_err(|error| damaged(error.to_string()))?;
    if problems != ["ok"] {
        return Err(damaged(problems.join("; ")));
    }
    Ok(())
}

fn count_orders(connection: &Connection, path: &Path) -> Result<u64, BackupError> {
    connection
        .query_row("SELECT count(*) FROM orders", [], |row| row.get::<_, i64>(0))
        .map(|count| count.unsigned_abs())
        .map_err(|_| BackupError::NotABackup { path: path.to_owned() })
}

/// The first entry of `dir` other than `ignore`, if it exists at all.
fn first_entry(dir: &Path, ignore: &[&str]) -> Result<Option<String>, BackupError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(BackupError::Io {
                path: dir.to_owned(),
                source,
            });
        }
    };
    for entry in entries {
        let name = entry.map_err(io(dir))?.file_name().to_string_lossy().into_owned();
        if !ignore.contains(&name.as_str()) {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

fn file_size(path: &Path) -> Result<u64, BackupError> {
    Ok(std::fs::metadata(path).map_err(io(path))?.len())
}

/// Makes a rename durable: the directory entry is on disk once this returns.
fn sync_parent(path: &Path) -> Result<(), BackupError> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::File::open(parent)
        .and_then(|dir| dir.sync_all())
        .map_err(io(parent))
}

/// Readable by the owner only: these files hold secrets.
fn write_private(path: &Path, content: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(content)?;
    file.sync_all()
}

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> BackupError + '_ {
    move |source| BackupError::Sqlite {
        path: path.to_owned(),
        source,
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_owned(),
        source,
    }
}
