//! Backups for JavaScript: `store.exportBackup()` resolves to a `Blob` to download, `store.importBackup()`
//! verifies a backup before replacing the store, `openBackup()` browses one without importing.

use std::ops::Range;

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
use crate::backup::{
    ArchiveSource, BackupError, BackupView, CancelCheck, ExportOptions, ImportOptions, Manifest,
    Progress, ReadFuture,
};
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
        cancelled: abort_check(options)?,
    })
}

/// `options.signal`, an `AbortSignal`, as a check of whether it was aborted.
fn abort_check(options: &JsValue) -> Result<Option<CancelCheck>, StoreError> {
    let signal = field(options, "signal")?;
    if signal.is_undefined() || signal.is_null() {
        return Ok(None);
    }
    if !js_sys::Reflect::has(&signal, &"aborted".into()).unwrap_or(false) {
        return Err(StoreError::InvalidArgument("signal must be an AbortSignal"));
    }
    Ok(Some(Box::new(move || {
        js_sys::Reflect::get(&signal, &"aborted".into())
            .ok()
            .and_then(|aborted| aborted.as_bool())
            .unwrap_or(false)
    })))
}

/// Calls the app's `onProgress(done, total, phase)`, if it gave one.
fn progress_reporter(callback: Option<Function>) -> impl FnMut(Progress) {
    move |progress: Progress| {
        if let Some(callback) = &callback {
            // A throwing progress callback must not stop the work it reports on.
            let _ = callback.call3(
                &JsValue::NULL,
                &(progress.done as f64).into(),
                &(progress.total as f64).into(),
                &progress.phase.as_str().into(),
            );
        }
    }
}

/// A `Blob` archive, read in slices as the import goes.
struct BlobSource {
    blob: web_sys::Blob,
}

impl ArchiveSource for BlobSource {
    fn byte_len(&self) -> u64 {
        self.blob.size() as u64
    }

    fn read(&self, range: Range<u64>) -> ReadFuture<'_> {
        let slice = self
            .blob
            .slice_with_f64_and_f64(range.start as f64, range.end as f64);
        Box::pin(async move {
            let unreadable = |error: JsValue| {
                BackupError::Read(error.dyn_ref::<js_sys::Error>().map_or_else(
                    || "the browser could not read the Blob".into(),
                    |e| e.message().into(),
                ))
            };
            let buffer = JsFuture::from(slice.map_err(unreadable)?.array_buffer())
                .await
                .map_err(unreadable)?;
            let bytes = Uint8Array::new(&buffer).to_vec();
            if bytes.len() as u64 != range.end - range.start {
                return Err(BackupError::Read(
                    "the Blob changed while it was read".into(),
                ));
            }
            Ok(bytes)
        })
    }
}

/// The archive as a `Blob`: a `Blob` or `File` as given, bytes wrapped (in JS memory, not wasm's).
fn input_source(data: &JsValue) -> Result<BlobSource, JsValue> {
    if let Some(blob) = data.dyn_ref::<web_sys::Blob>() {
        return Ok(BlobSource { blob: blob.clone() });
    }
    if data.is_instance_of::<js_sys::ArrayBuffer>() || data.is_instance_of::<Uint8Array>() {
        let parts = js_sys::Array::of1(data);
        let blob = web_sys::Blob::new_with_buffer_source_sequence(&parts)?;
        return Ok(BlobSource { blob });
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
    /// total, phase), splitThreshold? }`. With a passphrase (Argon2id) or 32-byte key the archive is
    /// encrypted; with a 32-byte Ed25519 `signingKey` seed it is signed. The pieces leave wasm memory as they
    /// are made; the `Blob` holds them.
    #[wasm_bindgen(js_name = exportBackup, unchecked_return_type = "Promise<Blob>")]
    pub fn export_backup(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ExportBackupOptions")] options: JsValue,
    ) -> Promise {
        self.export_pieces(options, false)
    }

    /// Exports the store piece by piece: each piece (about a megabyte of database, compressed) goes to the
    /// options' `onChunk(bytes)` as it is made, in order; resolves after the last. Options otherwise as
    /// `exportBackup`'s. The client's `exportBackupStream` is a `ReadableStream` on it.
    #[wasm_bindgen(js_name = exportBackupInPieces, unchecked_return_type = "Promise<void>")]
    pub fn export_backup_in_pieces(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ExportBackupInPiecesOptions")] options: JsValue,
    ) -> Promise {
        self.export_pieces(options, true)
    }

    fn export_pieces(&self, options: JsValue, to_callback: bool) -> Promise {
        let cancelled = abort_check(&options);
        let parsed =
            (|| -> Result<(ExportOptions, Option<Function>, Option<Function>), StoreError> {
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
                let on_chunk = if to_callback {
                    Some(
                        field(&options, "onChunk")?
                            .dyn_into::<Function>()
                            .map_err(|_| {
                                StoreError::InvalidArgument("onChunk must be a function")
                            })?,
                    )
                } else {
                    None
                };
                Ok((export, progress, on_chunk))
            })();
        let store = self.current();
        future_to_promise(async move {
            let store = store?;
            let (export, progress, on_chunk) = parsed?;
            let cancelled = cancelled?;
            let is_cancelled = || cancelled.as_ref().is_some_and(|cancelled| cancelled());
            if is_cancelled() {
                return Err(BackupError::Cancelled.into());
            }
            let mut report = progress_reporter(progress);
            let mut stream = store.export_backup_stream(export).await?;
            let pieces = js_sys::Array::new();
            let result: Result<(), JsValue> = async {
                loop {
                    if is_cancelled() {
                        return Err(BackupError::Cancelled.into());
                    }
                    let Some(piece) = stream.next_piece()? else {
                        break;
                    };
                    let bytes = Uint8Array::from(piece.as_slice());
                    match &on_chunk {
                        Some(callback) => {
                            callback.call1(&JsValue::NULL, &bytes)?;
                        }
                        None => {
                            pieces.push(&bytes);
                        }
                    }
                    report(stream.progress());
                    // Between pieces the worker answers other calls: the snapshot is the export's own.
                    crate::platform::yield_now().await;
                }
                Ok(())
            }
            .await;
            stream.close().await;
            result?;
            if on_chunk.is_some() {
                return Ok(JsValue::UNDEFINED);
            }
            let options = web_sys::BlobPropertyBag::new();
            options.set_type("application/octet-stream");
            let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&pieces, &options)?;
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
            let source = input_source(&data)?;
            let report = store
                .import_backup_with_progress(&source, &import, &mut progress_reporter(progress))
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
    let source = input_source(&data)?;
    let view = BackupView::open(&source, &import).await?;
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
            .chat()?
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
            .chat()?
            .page(&channel_id, cursor, limit)
            .map_err(StoreError::from)?;
        let object = Object::new();
        set(&object, "messages", &list(&page.messages, message_object));
        set(&object, "hasMore", &page.has_more.into());
        Ok(object.into())
    }
}
