//! `cakeshop backup` and `cakeshop restore`: a consistent copy of a shop's store and secrets,
//! taken while the shop runs, and that copy put back into an empty data directory.

use anyhow::Context;
use cakeshop_local::dev::secrets::SECRETS_FILE;
use cakeshop_sqlite::{DataDirLock, LOCK_FILE, backup};
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct BackupArgs {
    /// The file to write (a new one: an existing file is never overwritten).
    file: PathBuf,
    /// The data dir of the shop to copy (as `cakeshop dev --data-dir`); it may be running.
    #[arg(long, default_value = "./.cakeshop")]
    data_dir: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A file written by `cakeshop backup`.
    file: PathBuf,
    /// The data dir to restore into; it must be empty or not exist yet.
    #[arg(long, default_value = "./.cakeshop")]
    data_dir: PathBuf,
}

pub fn back_up(args: &BackupArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    // No lock: the copy is one read transaction, which the running shop does not notice.
    let copied = backup::back_up(&args.data_dir, &args.file, &[SECRETS_FILE])
        .with_context(|| format!("backing up {} to {}", args.data_dir.display(), args.file.display()))?;
    println!(
        "backed up {} orders and {} to {} ({:.1} MiB) in {:.1} s",
        copied.orders,
        files(&copied.files),
        args.file.display(),
        copied.bytes as f64 / (1024.0 * 1024.0),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub fn restore(args: &RestoreArgs) -> anyhow::Result<()> {
    // A file that is no backup is refused before the data directory is made.
    backup::inspect(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    // Held throughout, so no shop starts on the directory while it fills.
    let _lock = DataDirLock::acquire(&args.data_dir, "cakeshop restore")?;
    let copied = backup::restore(&args.file, &args.data_dir, &[LOCK_FILE])
        .with_context(|| format!("restoring {} into {}", args.file.display(), args.data_dir.display()))?;
    println!(
        "restored {} orders and {} into {}; start the shop with: cakeshop dev --data-dir {}",
        copied.orders,
        files(&copied.files),
        args.data_dir.display(),
        args.data_dir.display()
    );
    Ok(())
}

fn files(names: &[String]) -> String {
    if names.is_empty() {
        "no other files".to_owned()
    } else {
        names.join(", ")
    }
}
