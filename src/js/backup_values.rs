//! Backup values between JS and Rust: the options objects (keys, signer, signal, scope and filters,
//! progress), a `Blob` as an archive source read in slices, and the manifest and merge results as plain
//! objects.

use std::ops::Range;

use js_sys::{Function, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::convert::{field, optional_bytes, optional_integer_arg, optional_string};
use crate::archive::ArchiveKey;
use crate::backup::{
    ArchiveSource, BackupError, CancelCheck, HistoryFilter, ImportOptions, Progress, ReadFuture,
    Scope,
};
use crate::store::StoreError;

/// `{ passphrase }` or `{ key }` (32 bytes) from options. A passphrase is taken in Unicode NFC, so that
/// the same characters typed on any system derive the same key.
pub(super) fn archive_key(options: &JsValue) -> Result<Option<ArchiveKey>, StoreError> {
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
pub(super) fn import_options(options: &JsValue) -> Result<ImportOptions, StoreError> {
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
pub(super) fn abort_check(options: &JsValue) -> Result<Option<CancelCheck>, StoreError> {
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

/// `{ scope?: 'full' | 'history', channels?: string[], sinceMs?, untilMs? }` from export options.
pub(super) fn scope_and_filter(options: &JsValue) -> Result<(Scope, HistoryFilter), StoreError> {
    let scope =
        match optional_string(&field(options, "scope")?, "scope must be a string")?.as_deref() {
            None | Some("full") => Scope::Full,
            Some("history") => Scope::History,
            Some(_) => return Err(StoreError::InvalidArgument("scope is 'full' or 'history'")),
        };
    let channels = field(options, "channels")?;
    let channels = if channels.is_undefined() || channels.is_null() {
        None
    } else {
        let list = channels
            .dyn_ref::<js_sys::Array>()
            .ok_or(StoreError::InvalidArgument(
                "channels must be an array of channel ids",
            ))?;
        Some(
            list.iter()
                .map(|id| {
                    id.as_string().ok_or(StoreError::InvalidArgument(
                        "channels must be an array of channel ids",
                    ))
                })
                .collect::<Result<Vec<_>, _>>()?,
        )
    };
    let filter = HistoryFilter {
        channels,
        since_ms: optional_integer_arg(&field(options, "sinceMs")?, "sinceMs must be an integer")?,
        until_ms: optional_integer_arg(&field(options, "untilMs")?, "untilMs must be an integer")?,
    };
    Ok((scope, filter))
}

/// Calls the app's `onProgress(done, total, phase)`, if it gave one.
pub(super) fn progress_reporter(callback: Option<Function>) -> impl FnMut(Progress) {
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
pub(super) struct BlobSource {
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
pub(super) fn input_source(data: &JsValue) -> Result<BlobSource, StoreError> {
    if let Some(blob) = data.dyn_ref::<web_sys::Blob>() {
        return Ok(BlobSource { blob: blob.clone() });
    }
    if data.is_instance_of::<js_sys::ArrayBuffer>() || data.is_instance_of::<Uint8Array>() {
        let parts = js_sys::Array::of1(data);
        let blob = web_sys::Blob::new_with_buffer_source_sequence(&parts)
            .map_err(|_| StoreError::InvalidArgument("the backup's bytes could not be read"))?;
        return Ok(BlobSource { blob });
    }
    Err(StoreError::InvalidArgument(
        "a backup is a Blob, ArrayBuffer or Uint8Array",
    ))
}
