//! The stores open in this context. SQLite here has no working file locks, so a second connection to the
//! same file must be refused rather than allowed to interleave writes; the raw file operations of this module
//! refuse an open store for the same reason.

use std::cell::RefCell;
use std::collections::HashSet;

use super::VfsError;
use crate::backend::Backend;

thread_local! {
    static OPEN_STORES: RefCell<HashSet<(Backend, String)>> = RefCell::new(HashSet::new());
}

/// Holds a store's place among the open stores and gives it up when dropped, releasing what the backend
/// holds for it.
pub struct OpenRegistration {
    key: (Backend, String),
}

impl OpenRegistration {
    /// Registers store `name` on `backend` as open.
    ///
    /// # Errors
    /// [`VfsError::AlreadyOpen`] when it is open in this context already.
    pub(crate) fn acquire(backend: Backend, name: &str) -> Result<Self, VfsError> {
        let key = (backend, name.to_owned());
        let inserted = OPEN_STORES.with(|open| open.borrow_mut().insert(key.clone()));
        if inserted {
            Ok(OpenRegistration { key })
        } else {
            Err(VfsError::AlreadyOpen {
                name: name.to_owned(),
                backend,
            })
        }
    }
}

impl Drop for OpenRegistration {
    fn drop(&mut self) {
        OPEN_STORES.with(|open| open.borrow_mut().remove(&self.key));
        // A store dropped without close() (an error while opening, a JS object collected) must not keep
        // other tabs out. Its owner declares the connection before the registration, so it is closed by now.
        // A store's close releases first and reports failures; here there is no one to report to.
        let _ = super::release(self.key.0, &self.key.1);
    }
}

/// Fails when store `name` is open on `backend` in this context.
pub(crate) fn ensure_closed(backend: Backend, name: &str) -> Result<(), VfsError> {
    let key = (backend, name.to_owned());
    if OPEN_STORES.with(|open| open.borrow().contains(&key)) {
        Err(VfsError::InUse {
            backend,
            name: name.to_owned(),
        })
    } else {
        Ok(())
    }
}

/// Names of the stores open on `backend` in this context.
pub fn open_store_names(backend: Backend) -> Vec<String> {
    OPEN_STORES.with(|open| {
        let mut names: Vec<String> = open
            .borrow()
            .iter()
            .filter(|(b, _)| *b == backend)
            .map(|(_, name)| name.clone())
            .collect();
        names.sort();
        names
    })
}
