//! Backups for JavaScript: `store.exportBackup()` resolves to a `Blob` to download, `store.importBackup()`
//! verifies a backup before replacing the store (or merging a history backup into it), `openBackup()`
//! browses one without importing.

use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use super::backup_values::{
    abort_check, archive_key, import_options, input_source, progress_reporter, scope_and_filter,
};
use super::changes::Change;
use super::chat::page_cursor;
use super::convert::{field, optional_bool, optional_bytes, optional_integer_arg};
use super::error::js_error;
use super::results::{list, BackupManifestJs, ChannelJs, ImportedBackupJs, MessagePageJs};
use super::shape::JsType;
use super::JsStore;
use crate::backup::{BackupError, BackupView, ExportOptions};
use crate::store::StoreError;
impl From<BackupError> for JsValue {
    fn from(error: BackupError) -> JsValue {
        js_error(error.code(), &error.to_string())
    }
}

#[wasm_bindgen(js_class = Store)]
impl JsStore {
    /// Exports the store as a backup `Blob`. Options: `{ scope?, channels?, sinceMs?, untilMs?, passphrase?,
    /// key?, signingKey?, signal?, onProgress?(done, total, phase), splitThreshold? }`. `scope: 'history'`
    /// leaves out the MLS state and the store's secrets. With a passphrase (Argon2id) or 32-byte key the archive is
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
                let (scope, filter) = scope_and_filter(&options)?;
                let mut export = ExportOptions {
                    key: archive_key(&options)?,
                    scope,
                    filter,
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
    /// with a full backup's in one step, or merges a history backup's into it in one transaction. Options:
    /// `{ passphrase?, key?, signer?, signal?, onProgress?(done, total, phase) }`; with `signer` (a 32-byte
    /// Ed25519 public key) only a backup signed by it is accepted. Resolves to the backup's manifest and
    /// what a merge added; on any failure (`WRONG_PASSPHRASE`,
    /// `ARCHIVE_CORRUPT`, `ARCHIVE_SIGNATURE_INVALID`, `SIGNATURE_REQUIRED`, `SIGNER_MISMATCH`, ...) the
    /// store is unchanged.
    #[wasm_bindgen(js_name = importBackup, unchecked_return_type = "Promise<ImportedBackup>")]
    pub fn import_backup(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Blob | ArrayBuffer | Uint8Array")] data: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ImportBackupOptions")] options: JsValue,
    ) -> Promise {
        let import = import_options(&options);
        let progress = field(&options, "onProgress").map(|f| f.dyn_into::<Function>().ok());
        self.spawn_async(move |store| async move {
            let import = import?;
            let progress = progress?;
            let source = input_source(&data)?;
            let report = store
                .import_backup_with_progress(&source, &import, &mut progress_reporter(progress))
                .await?;
            let change = if report.merged.is_some() {
                Change::HistoryMerged
            } else {
                Change::StoreReplaced
            };
            Ok((ImportedBackupJs::to_js(&report), vec![change]))
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
        BackupManifestJs::to_js((
            &self.view.manifest,
            self.view.schema_version,
            self.view.signer.as_ref(),
            self.view.format_version,
        ))
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
        Ok(list::<ChannelJs>(&channels))
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
        Ok(MessagePageJs::to_js(&page))
    }
}
