//! The placement record: which backend holds each persistent store, kept in its own IndexedDB database
//! (`mls-web-store`, object store `placements`, store name → backend name). `auto` reads it before choosing,
//! so a store created on OPFS is never opened empty on IndexedDB because OPFS failed for a moment, and a
//! store created on IndexedDB (a main-thread or private-mode open) is found there from a Worker as well.

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;

use super::idb::pages::idb_error;
use super::VfsError;
use crate::backend::{Backend, Recorded};

const DATABASE: &str = "mls-web-store";
const VERSION: u8 = 1;
const PLACEMENTS: &str = "placements";

async fn open() -> Result<Database, VfsError> {
    Database::open(DATABASE)
        .with_version(VERSION)
        .with_on_upgrade_needed(|_event, db| {
            if !db.object_store_names().any(|s| s == PLACEMENTS) {
                db.create_object_store(PLACEMENTS).build()?;
            }
            Ok(())
        })
        .await
        .map_err(|e| idb_error("open placement record", e))
}

/// What the record says of store `name`; [`Recorded::Unknown`] when it cannot be read.
pub(crate) async fn recorded(name: &str) -> Recorded {
    match read(name).await {
        Ok(Some(backend)) => Recorded::On(backend),
        Ok(None) => Recorded::Nothing,
        Err(_) => Recorded::Unknown,
    }
}

async fn read(name: &str) -> Result<Option<Backend>, VfsError> {
    let db = open().await?;
    let value = async {
        let tx = db
            .transaction(PLACEMENTS)
            .build()
            .map_err(|e| idb_error("read placement", e))?;
        let placements = tx
            .object_store(PLACEMENTS)
            .map_err(|e| idb_error("read placement", e))?;
        placements
            .get(name)
            .primitive()
            .map_err(|e| idb_error("read placement", e))?
            .await
            .map_err(|e| idb_error("read placement", e))
    }
    .await;
    db.close();
    let value: Option<String> = value?;
    // A value this build does not know is no placement it can follow: treat it as unreadable.
    match value {
        None => Ok(None),
        Some(text) => Backend::from_name(&text)
            .map(Some)
            .ok_or(VfsError::IndexedDb {
                operation: "read placement",
                name: "DataError".to_owned(),
                message: format!("unknown backend {text:?} recorded for store {name:?}"),
            }),
    }
}

/// Records that store `name` lives on `backend` (a persistent backend; memory stores are not recorded).
pub(crate) async fn record(name: &str, backend: Backend) -> Result<(), VfsError> {
    if !backend.is_persistent() {
        return Ok(());
    }
    write(name, Some(backend)).await
}

/// Forgets store `name` if the record places it on `backend` (it was deleted there).
pub(crate) async fn forget(name: &str, backend: Backend) -> Result<(), VfsError> {
    if read(name).await? == Some(backend) {
        write(name, None).await?;
    }
    Ok(())
}

async fn write(name: &str, backend: Option<Backend>) -> Result<(), VfsError> {
    let db = open().await?;
    let result = async {
        let tx = db
            .transaction(PLACEMENTS)
            .with_mode(TransactionMode::Readwrite)
            .build()
            .map_err(|e| idb_error("write placement", e))?;
        let placements = tx
            .object_store(PLACEMENTS)
            .map_err(|e| idb_error("write placement", e))?;
        // Requests are issued when built; the commit below waits for them.
        if let Some(backend) = backend {
            placements
                .put(backend.as_str())
                .with_key(name)
                .primitive()
                .map_err(|e| idb_error("write placement", e))?;
        } else {
            placements
                .delete(name)
                .primitive()
                .map_err(|e| idb_error("write placement", e))?;
        }
        tx.commit()
            .await
            .map_err(|e| idb_error("write placement", e))
    }
    .await;
    db.close();
    result
}
