//! Locks that stay usable after a panic.

use std::sync::{Mutex, MutexGuard};

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave SQLite half-written (transactions roll back),
    // so the connection stays usable.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
