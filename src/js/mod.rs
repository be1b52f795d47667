//! The JavaScript API: thin `#[wasm_bindgen]` wrappers over the Rust store. Values cross as plain JS types
//! (strings, numbers, `Uint8Array`); errors cross as `MlsWebStoreError` with a stable `code`.
//!
//! Methods return Promises even where the Rust call is synchronous today, so that backends whose writes
//! complete asynchronously (IndexedDB) keep the same API.

/// The value of a method's argument check, or (from the method) its Promise rejected with the error: the
/// work of a method may run more than once, so its arguments are checked before it starts.
macro_rules! accept {
    ($checked:expr) => {
        match $checked {
            Ok(value) => value,
            Err(error) => return $crate::js::spawn::reject(error),
        }
    };
}

mod backup;
mod backup_values;
mod catch_up;
mod changes;
mod chat;
mod convert;
mod error;
mod mls;
mod results;
mod shape;
mod spawn;
#[cfg(feature = "test-hooks")]
mod test_hooks;
mod types;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::backend::BackendChoice;
use crate::store::{Store, StoreConfig, StoreError, StoreKey};
use shape::JsType;

pub use backup::{open_backup, JsBackup};
pub use error::ERROR_NAME;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// Opens (creating if needed) the store `name`. `backend` is `"auto"` (default), `"opfs"` or `"memory"`.
/// `options.key` (a 32-byte `Uint8Array`) encrypts the database, or opens an encrypted one; a wrong key
/// rejects with `WRONG_KEY`. `options.pageCacheBytes` (IndexedDB, default 32 MiB): a database up to this
/// size is held whole in memory, a larger one is paged on demand within this much memory.
/// `options.memoryLimitBytes` (IndexedDB, default none): the largest the database may be; a larger one
/// rejects with `STORE_TOO_LARGE`.
#[wasm_bindgen(js_name = openStore)]
pub async fn open_store(
    name: String,
    backend: Option<String>,
    #[wasm_bindgen(unchecked_optional_param_type = "OpenStoreOptions")] options: JsValue,
) -> Result<JsStore, JsValue> {
    let choice = match backend.as_deref() {
        None => BackendChoice::Auto,
        Some(text) => text.parse().map_err(StoreError::from)?,
    };
    let key = store_key(&options)?;
    let config = store_config(&options)?;
    let store = Store::open_with_key(&name, choice, config, key.as_ref()).await?;
    Ok(JsStore {
        inner: RefCell::new(Some(Rc::new(store))),
        changes: Rc::default(),
    })
}

fn store_config(options: &JsValue) -> Result<StoreConfig, StoreError> {
    let mut config = StoreConfig::default();
    let positive = |name: &'static str, what: &'static str| -> Result<Option<u64>, StoreError> {
        convert::optional_integer_arg(&convert::field(options, name)?, what)?
            .map(|bytes| {
                u64::try_from(bytes)
                    .ok()
                    .filter(|bytes| *bytes > 0)
                    .ok_or(StoreError::InvalidArgument(what))
            })
            .transpose()
    };
    if let Some(limit) = positive(
        "memoryLimitBytes",
        "memoryLimitBytes must be a positive integer",
    )? {
        config.memory_limit_bytes = limit;
    }
    if let Some(cache) = positive(
        "pageCacheBytes",
        "pageCacheBytes must be a positive integer",
    )? {
        config.page_cache_bytes = cache;
    }
    Ok(config)
}

fn store_key(options: &JsValue) -> Result<Option<StoreKey>, StoreError> {
    let Some(mut bytes) =
        convert::optional_bytes(&convert::field(options, "key")?, "key must be a Uint8Array")?
    else {
        return Ok(None);
    };
    let key = StoreKey::from_slice(&bytes);
    zeroize::Zeroize::zeroize(&mut bytes);
    Ok(Some(key?))
}

/// The value a relaying tab's worker shows the owning tab's worker to prove it has the store's key (see
/// `relay_key_check`), as hex. `key`: the 32-byte key the store is opened with, or `undefined`. Used by the
/// package's Worker; apps have no need of it.
#[wasm_bindgen(js_name = relayKeyCheck)]
pub fn relay_key_check(name: String, key: Option<Vec<u8>>) -> Result<String, JsValue> {
    let key = match key {
        Some(mut bytes) => {
            let key = StoreKey::from_slice(&bytes);
            zeroize::Zeroize::zeroize(&mut bytes);
            Some(key.map_err(StoreError::from)?)
        }
        None => None,
    };
    Ok(crate::hex::hex(&crate::store::relay_key_check(
        &name,
        key.as_ref(),
    )))
}

/// The newest schema version this build knows.
#[wasm_bindgen(js_name = latestSchemaVersion)]
pub fn latest_schema_version() -> u32 {
    crate::schema::latest_version()
}

/// Releases this worker's OPFS handles so another tab's worker can open the stores. Close the stores first.
#[wasm_bindgen(js_name = releaseOpfs)]
pub async fn release_opfs() -> Result<(), JsValue> {
    crate::vfs::release_opfs_pool()
        .await
        .map_err(|e| StoreError::from(e).into())
}

/// Deletes store `name`'s database on `backend` (`"auto"`: where the placement record puts it, else wherever
/// it is found). Resolves to whether it existed.
#[wasm_bindgen(js_name = deleteStore)]
pub async fn delete_store(name: String, backend: String) -> Result<bool, JsValue> {
    let choice: BackendChoice = backend.parse().map_err(StoreError::from)?;
    crate::backend::validate_store_name(&name).map_err(StoreError::from)?;
    crate::store::delete_store(&name, choice)
        .await
        .map_err(JsValue::from)
}

/// An open store. Call `close()` when done; every method called after it rejects with code `STORE_CLOSED`.
#[wasm_bindgen(js_name = Store)]
pub struct JsStore {
    inner: RefCell<Option<Rc<Store>>>,
    changes: Rc<changes::ChangeListener>,
}

impl JsStore {
    fn with<T>(&self, f: impl FnOnce(&Store) -> Result<T, StoreError>) -> Result<T, JsValue> {
        let store = self.current()?;
        Ok(f(&store)?)
    }

    fn current(&self) -> Result<Rc<Store>, StoreError> {
        self.inner.borrow().clone().ok_or(StoreError::Closed)
    }
}

#[wasm_bindgen(js_class = Store)]
impl JsStore {
    /// The store's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> Result<String, JsValue> {
        self.with(|store| Ok(store.name().to_owned()))
    }

    /// The backend in use: `"opfs"`, `"indexeddb"` or `"memory"`.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> Result<String, JsValue> {
        self.with(|store| Ok(store.backend().as_str().to_owned()))
    }

    /// Why the store is on its backend, in words (with `auto`: what was tried and what failed).
    #[wasm_bindgen(getter, js_name = backendReason)]
    pub fn backend_reason(&self) -> Result<String, JsValue> {
        self.with(|store| Ok(store.backend_reason().to_string()))
    }

    /// Whether data survives a reload on this backend.
    #[wasm_bindgen(getter)]
    pub fn persistent(&self) -> Result<bool, JsValue> {
        self.with(|store| Ok(store.backend().is_persistent()))
    }

    /// Whether the database is encrypted at rest.
    #[wasm_bindgen(getter)]
    pub fn encrypted(&self) -> Result<bool, JsValue> {
        self.with(|store| Ok(store.is_encrypted()))
    }

    /// Encrypts the database with `key` (32 bytes), re-encrypts it with a new one, or decrypts it (`null`).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn rekey(&self, key: JsValue) -> Promise {
        let key = if key.is_null() || key.is_undefined() {
            Ok(None)
        } else {
            convert::required_bytes(&key, "key must be a Uint8Array or null").and_then(
                |mut bytes| {
                    let key = StoreKey::from_slice(&bytes);
                    zeroize::Zeroize::zeroize(&mut bytes);
                    Ok(Some(key?))
                },
            )
        };
        let key = accept!(key);
        self.spawn_async(move |store| async move {
            store.rekey_loaded(key.as_ref()).await?;
            Ok((JsValue::UNDEFINED, Vec::new()))
        })
    }

    /// The schema version of the open database.
    #[wasm_bindgen(js_name = schemaVersion)]
    pub fn schema_version(&self) -> Result<u32, JsValue> {
        self.with(Store::schema_version)
    }

    /// Moves the schema to `version` (down drops newer tables and their data). Resolves to
    /// `{ fromVersion, toVersion, applied: number[], reverted: number[] }`.
    #[wasm_bindgen(js_name = migrateTo, unchecked_return_type = "Promise<MigrationReport>")]
    pub fn migrate_to(&self, version: u32) -> Promise {
        self.spawn(move |store| {
            let report = store.migrate_to(version)?;
            Ok(results::MigrationReportJs::to_js(&report))
        })
    }

    /// Rewrites the database without its free pages (after pruning, it then takes less room; on IndexedDB,
    /// less memory). Resolves once durable.
    #[wasm_bindgen(js_name = compact, unchecked_return_type = "Promise<void>")]
    pub fn compact(&self) -> Promise {
        self.spawn_async(move |store| async move {
            store.compact_loaded().await?;
            Ok((JsValue::UNDEFINED, Vec::new()))
        })
    }

    /// Runs SQLite's integrity check. Resolves to a list of problems, empty when the database is sound.
    #[wasm_bindgen(js_name = integrityCheck, unchecked_return_type = "Promise<string[]>")]
    pub fn integrity_check(&self) -> Promise {
        self.spawn_async(move |store| async move {
            let problems = store.integrity_check_loaded().await?;
            let problems: JsValue = problems
                .into_iter()
                .map(JsValue::from)
                .collect::<Array>()
                .into();
            Ok((problems, Vec::new()))
        })
    }

    /// Resolves to the bytes stored under `namespace`/`key`, or `undefined`.
    #[wasm_bindgen(js_name = kvGet, unchecked_return_type = "Promise<Uint8Array | undefined>")]
    pub fn kv_get(&self, namespace: String, key: String) -> Promise {
        self.spawn(move |store| {
            let value = store.kv().get(&namespace, &key)?;
            Ok(value.map_or(JsValue::UNDEFINED, |bytes| {
                Uint8Array::from(bytes.as_slice()).into()
            }))
        })
    }

    /// Stores `value` under `namespace`/`key`. Resolves once durable.
    #[wasm_bindgen(js_name = kvPut, unchecked_return_type = "Promise<void>")]
    pub fn kv_put(&self, namespace: String, key: String, value: Vec<u8>) -> Promise {
        self.spawn_changing(move |store| {
            store.kv().put(&namespace, &key, &value)?;
            Ok((
                JsValue::UNDEFINED,
                vec![changes::Change::KeyValue {
                    namespace: namespace.clone(),
                    key: key.clone(),
                }],
            ))
        })
    }

    /// Removes `namespace`/`key`. Resolves to whether it existed.
    #[wasm_bindgen(js_name = kvDelete, unchecked_return_type = "Promise<boolean>")]
    pub fn kv_delete(&self, namespace: String, key: String) -> Promise {
        self.spawn_changing(move |store| {
            let removed = store.kv().delete(&namespace, &key)?;
            let changes = changes::changes_if(removed, || changes::Change::KeyValue {
                namespace: namespace.clone(),
                key: key.clone(),
            });
            Ok((removed.into(), changes))
        })
    }

    /// Closes the store. Calls made before `close()` still complete; calls made after reject with
    /// `STORE_CLOSED`. Resolves when the database is closed; closing twice is harmless.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> Promise {
        let store = self.inner.borrow_mut().take();
        future_to_promise(async move {
            let Some(store) = store else {
                return Ok(JsValue::UNDEFINED);
            };
            // Operations queued before close() have run by now (Promises run in order); one still awaiting
            // holds its own reference and the connection closes when it finishes.
            if let Ok(store) = Rc::try_unwrap(store) {
                store.close_durably().await?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}
