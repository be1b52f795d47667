//! Backups for JavaScript: `store.exportBackup()` resolves to a `Blob` to download, `store.importBackup()`
//! verifies a backup before replacing the store, `openBackup()` browses one without importing.

use js_sys::{Function, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::chat::{channel_object, list, message_object, page_cursor};
use super::convert::{
    bytes, field, integer, optional_bool, optional_bytes, optional_integer_arg, optional_string,
    set,
};
use super::error::js_error;
use super::JsStore;
use crate::archive::ArchiveKey;
use crate::backup::{BackupError, BackupView, ExportOptions, ImportOptions, Manifest};
use crate::store::StoreError;

impl From<BackupError> for JsValue {
    fn from(error: BackupError) -> JsValue {
        js_error(error.code(), &error.to_string())
    }
}

/// `{ passphrase }` or `{ key }` (32 bytes) from options. A passphrase is taken in Unicode NFC, so that
/// the same characters typed on any system derive the same key.
fn archive_key(options: &JsValue) -> Result<Option<ArchiveKey>, StoreError> {
    let passphrase = field(options, "passphrase")?;
    if let Some(text) = passphrase.dyn_ref::<js_sys::JsString>() {
        let normalized = text
            .normalize("NFC")
            .as_string()
            .ok_or(StoreError::InvalidArgument("passphrase must be a string"))?;
        if normalized.is_empty() {
            return Err(StoreError::InvalidArgument("a passphrase is not empty"));
        }
        return Ok(Some(ArchiveKey::passphrase(&normalized)));
    }
    optional_string(&passphrase, "passphrase must be a string")?;
    match optional_bytes(&field(options, "key")?, "key must be a Uint8Array")? {
        Some(mut raw) => {
            let array: Result<[u8; 32], _> = raw.as_slice().try_into();
            zeroize::Zeroize::zeroize(&mut raw);
            let array =
                array.map_err(|_| StoreError::InvalidArgument("a backup key is 32 bytes"))?;
            Ok(Some(ArchiveKey::raw(array)))
        }
        None => Ok(None),
    }
}

/// `{ passphrase?, key?, signer? }`: `signer` is the 32-byte Ed25519 public key the backup must be signed by.
fn import_options(options: &JsValue) -> Result<ImportOptions, StoreError> {
    let signer = optional_bytes(&field(options, "signer")?, "signer must be a Uint8Array")?
        .map(|bytes| {
            <[u8; 32]>::try_from(bytes.as_slice())
                .map_err(|_| StoreError::InvalidArgument("signer is a 32-byte Ed25519 public key"))
        })
        .transpose()?;
    Ok(ImportOptions {
        key: archive_key(options)?,
        signer,
    })
}

/// Calls the app's `onProgress(done, total)`, if it gave one.
fn progress_reporter(callback: Option<Function>) -> impl FnMut(u64, u64) {
    move |done, total| {
        if let Some(callback) = &callback {
            // A throwing progress callback must not stop the work it reports on.
            let _ = callback.call2(
                &JsValue::NULL,
                &(done as f64).into(),
                &(total as f64).into(),
            );
        }
    }
}

/// The bytes of a `Blob`, `ArrayBuffer` or `Uint8Array`.
async fn input_bytes(data: JsValue) -> Result<Vec<u8>, JsValue> {
    if let Some(blob) = data.dyn_ref::<web_sys::Blob>() {
        let buffer = JsFuture::from(blob.array_buffer()).await?;
        return Ok(Uint8Array::new(&buffer).to_vec());
    }
    if data.is_instance_of::<js_sys::ArrayBuffer>() || data.is_instance_of::<Uint8Array>() {
        return Ok(Uint8Array::new(&data).to_vec());
    }
    Err(StoreError::InvalidArgument("a backup is a Blob, ArrayBuffer or Uint8Array").into())
}

fn manifest_object(
    manifest: &Manifest,
    from_schema: u32,
    signer: Option<[u8; 32]>,
    format_version: u16,
) -> Object {
    let object = Object::new();
    set(&object, "formatVersion", &format_version.into());
    set(&object, "schemaVersion", &manifest.schema_version.into());
    set(&object, "fromSchemaVersion", &from_schema.into());
    set(&object, "createdAtMs", &integer(manifest.created_at_ms));
    set(&object, "storeName", &manifest.store_name.as_str().into());
    set(
        &object,
        "databaseBytes",
        &integer(manifest.database_bytes as i64),
    );
    set(&object, "channels", &integer(manifest.channels));
    set(&object, "messages", &integer(manifest.messages));
    set(&object, "mlsGroups", &integer(manifest.mls_groups));
    set(
        &object,
        "signer",
        &signer.map_or(JsValue::NULL, |key| bytes(&key)),
    );
    object
}

#[wasm_bindgen(js_class = Store)]
impl JsStore {
    /// Exports the store as a backup `Blob`. Options: `{ passphrase?, key?, signingKey?, onProgress?(done,
    /// total), splitThreshold? }`. With a passphrase (Argon2id) or 32-byte key the archive is encrypted;
    /// with a 32-byte Ed25519 `signingKey` seed it is signed.
    #[wasm_bindgen(js_name = exportBackup, unchecked_return_type = "Promise<Blob>")]
    pub fn export_backup(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ExportBackupOptions")] options: JsValue,
    ) -> Promise {
        let parsed = (|| -> Result<(ExportOptions, Option<Function>), StoreError> {
            let mut export = ExportOptions {
                key: archive_key(&options)?,
                ..ExportOptions::default()
            };
            if let Some(mut seed) = optional_bytes(
                &field(&options, "signingKey")?,
                "signingKey must be a Uint8Array",
            )? {
                let array: Result<[u8; 32], _> = seed.as_slice().try_into();
                zeroize::Zeroize::zeroize(&mut seed);
                let array = array
                    .map_err(|_| StoreError::InvalidArgument("signingKey is a 32-byte seed"))?;
                export.signing_key = Some(zeroize::Zeroizing::new(array));
            }
            if let Some(threshold) = optional_integer_arg(
                &field(&options, "splitThreshold")?,
                "splitThreshold must be an integer",
            )? {
                export.split_threshold = Some(
                    u64::try_from(threshold)
                        .map_err(|_| StoreError::InvalidArgument("splitThreshold"))?,
                );
            }
            let progress = field(&options, "onProgress")?.dyn_into::<Function>().ok();
            Ok((export, progress))
        })();
        let store = self.current();
        future_to_promise(async move {
            let store = store?;
            let (export, progress) = parsed?;
            let archive = store.export_backup(export, &mut progress_reporter(progress))?;
            let parts = js_sys::Array::of1(&Uint8Array::from(archive.as_slice()));
            let options = web_sys::BlobPropertyBag::new();
            options.set_type("application/octet-stream");
            let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
            Ok(blob.into())
        })
    }

    /// Verifies a backup (`Blob`, `ArrayBuffer` or `Uint8Array`) completely, then replaces this store's data
    /// with it in one step. Options: `{ passphrase?, key?, signer?, onProgress?(step, steps) }` (steps:
    /// verified, migrated, replaced); with `signer` (a 32-byte Ed25519 public key) only a backup signed by
    /// it is accepted. Resolves to the backup's manifest; on any failure (`WRONG_PASSPHRASE`,
    /// `ARCHIVE_CORRUPT`, `ARCHIVE_SIGNATURE_INVALID`, `SIGNATURE_REQUIRED`, `SIGNER_MISMATCH`, ...) the
    /// store is unchanged.
    #[wasm_bindgen(js_name = importBackup, unchecked_return_type = "Promise<BackupManifest>")]
    pub fn import_backup(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Blob | ArrayBuffer | Uint8Array")] data: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ImportBackupOptions")] options: JsValue,
    ) -> Promise {
        let import = import_options(&options);
        let progress = field(&options, "onProgress").map(|f| f.dyn_into::<Function>().ok());
        let store = self.current();
        future_to_promise(async move {
            let store = store?;
            let import = import?;
            let progress = progress?;
            let archive = input_bytes(data).await?;
            let report = store
                .import_backup_with_progress(&archive, &import, &mut progress_reporter(progress))
                .await?;
            Ok(manifest_object(
                &report.manifest,
                report.from_schema_version,
                report.signer,
                report.format_version,
            )
            .into())
        })
    }
}

/// A backup opened for browsing: verified, read-only, in memory.
#[wasm_bindgen(js_name = Backup)]
pub struct JsBackup {
    view: BackupView,
}

/// Opens a backup for browsing without importing it. Options: `{ passphrase?, key?, signer? }`.
#[wasm_bindgen(js_name = openBackup)]
pub async fn open_backup(
    #[wasm_bindgen(unchecked_param_type = "Blob | ArrayBuffer | Uint8Array")] data: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "OpenBackupOptions")] options: JsValue,
) -> Result<JsBackup, JsValue> {
    let import = import_options(&options)?;
    let archive = input_bytes(data).await?;
    let view = BackupView::open(&archive, &import).await?;
    Ok(JsBackup { view })
}

#[wasm_bindgen(js_class = Backup)]
impl JsBackup {
    /// The backup's manifest (`{ schemaVersion, createdAtMs, messages, channels, mlsGroups, signer, ... }`).
    #[wasm_bindgen(getter, unchecked_return_type = "BackupManifest")]
    pub fn manifest(&self) -> JsValue {
        manifest_object(
            &self.view.manifest,
            self.view.schema_version,
            self.view.signer,
            self.view.format_version,
        )
        .into()
    }

    /// The backup's channels, like `store.chatListChannels`.
    #[wasm_bindgen(js_name = listChannels, unchecked_return_type = "Channel[]")]
    pub fn list_channels(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListChannelsOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let archived = optional_bool(&field(&options, "archived")?, "archived must be a boolean")?;
        let channels = self
            .view
            .chat()
            .list_channels(archived.unwrap_or(false))
            .map_err(StoreError::from)?;
        Ok(list(&channels, channel_object))
    }

    /// A page of a channel's messages, like `store.chatPage`.
    #[wasm_bindgen(unchecked_return_type = "MessagePage")]
    pub fn page(
        &self,
        channel_id: String,
        #[wasm_bindgen(unchecked_optional_param_type = "PageOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (cursor, limit) = page_cursor(&options)?;
        let page = self
            .view
            .chat()
            .page(&channel_id, cursor, limit)
            .map_err(StoreError::from)?;
        let object = Object::new();
        set(&object, "messages", &list(&page.messages, message_object));
        set(&object, "hasMore", &page.has_more.into());
        Ok(object.into())
    }
}
