//! The shop's rules as last read from the store, kept until a save (see `bakery`).

use cakeshop_ports::ShopRules;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// The rules as last read, until a save.
#[derive(Default)]
pub(crate) struct RulesCache {
    /// Bumped by every save once it is committed: a read that began before the bump may hold
    /// what the save replaced, so it is not kept.
    saves: AtomicU64,
    kept: Mutex<Option<Arc<ShopRules>>>,
}

impl RulesCache {
    pub(crate) fn get(&self) -> Option<Arc<ShopRules>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub(crate) fn saves(&self) -> u64 {
        self.saves.load(Ordering::Acquire)
    }

    /// Keeps `rules`, read after `saves` saves, unless one has been committed since.
    pub(crate) fn keep(&self, rules: &Arc<ShopRules>, saves: u64) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if self.saves.load(Ordering::Acquire) == saves {
            *kept = Some(Arc::clone(rules));
        }
    }

    /// After a save has settled (whatever its outcome): the next read goes to the store.
    pub(crate) fn forget(&self) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        self.saves.fetch_add(1, Ordering::AcqRel);
        *kept = None;
    }
}
