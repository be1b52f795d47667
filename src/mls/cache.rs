//! Loaded groups kept between calls. OpenMLS keeps an `MlsGroup` in memory and writes every change through
//! to storage, so a group that was loaded once and changed only by committed operations equals what storage
//! holds; reloading it for each call (a dozen reads and JSON decodes) was most of an operation's cost.
//!
//! A group is taken out for an operation and put back only after its transaction committed: a failed or
//! rolled-back operation drops its copy, and the next call loads the group from storage again.

use std::cell::RefCell;
use std::collections::HashMap;

use openmls::group::MlsGroup;

/// Groups kept at most; beyond it an arbitrary one is dropped (it is reloaded when next used).
const CAPACITY: usize = 64;

/// The loaded groups of one store.
#[derive(Default)]
pub struct GroupCache {
    groups: RefCell<HashMap<Vec<u8>, MlsGroup>>,
}

impl GroupCache {
    /// Takes the group out of the cache, if it is there.
    pub(crate) fn take(&self, group_id: &[u8]) -> Option<MlsGroup> {
        self.groups.borrow_mut().remove(group_id)
    }

    /// Puts a group whose state is committed back.
    pub(crate) fn put(&self, group_id: Vec<u8>, group: MlsGroup) {
        let mut groups = self.groups.borrow_mut();
        if groups.len() >= CAPACITY && !groups.contains_key(&group_id) {
            if let Some(victim) = groups.keys().next().cloned() {
                groups.remove(&victim);
            }
        }
        groups.insert(group_id, group);
    }

    /// Forgets every group: the tables under them changed by other means (a migration, an import).
    pub(crate) fn clear(&self) {
        self.groups.borrow_mut().clear();
    }
}
