//! The only place that probes the browser: what this context can do and what time it is. Everything else asks
//! here, so a new platform quirk has one home.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

use crate::backend::Capabilities;

/// Probes the running context.
pub(crate) fn capabilities() -> Capabilities {
    Capabilities {
        opfs_sync_access: has_opfs_sync_access(),
        indexed_db: has_indexed_db(),
    }
}

fn has_opfs_sync_access() -> bool {
    let global = js_sys::global();
    // Sync access handles are exposed only to dedicated workers; the interface object existing is the
    // feature test the spec suggests, and a dedicated worker scope is where the sahpool VFS can use it.
    let in_dedicated_worker = global
        .dyn_ref::<web_sys::DedicatedWorkerGlobalScope>()
        .is_some();
    let has_handles =
        Reflect::has(&global, &JsValue::from_str("FileSystemSyncAccessHandle")).unwrap_or(false);
    let has_get_directory = Reflect::get(&global, &JsValue::from_str("navigator"))
        .and_then(|navigator| Reflect::get(&navigator, &JsValue::from_str("storage")))
        .and_then(|storage| Reflect::get(&storage, &JsValue::from_str("getDirectory")))
        .map(|get_directory| get_directory.is_function())
        .unwrap_or(false);
    in_dedicated_worker && has_handles && has_get_directory
}

fn has_indexed_db() -> bool {
    // Private modes may expose the property but null it.
    Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB"))
        .map(|factory| factory.is_object())
        .unwrap_or(false)
}

/// Milliseconds since the Unix epoch, from the browser's clock.
pub(crate) fn now_ms() -> i64 {
    // f64 milliseconds are exact integers far beyond any plausible date.
    js_sys::Date::now() as i64
}

/// A random 64-bit number from the browser's CSPRNG (for scratch names; not for keys).
pub(crate) fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    // Without randomness the name only risks a collision with another scratch file, which import refuses.
    let _ = getrandom_02::getrandom(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// Whether the origin's storage is (nearly) full: less than twice `written_bytes` (and at least 1 MiB) left
/// under the quota `navigator.storage.estimate()` reports. False where there is no estimate. Browsers say
/// "quota" in different ways (an aborted IndexedDB transaction, a short OPFS write); this tells them apart
/// from other failures.
pub(crate) async fn storage_nearly_full(written_bytes: f64) -> bool {
    const MARGIN_BYTES: f64 = 1024.0 * 1024.0;
    let estimate = async {
        let storage = js_sys::Reflect::get(
            &js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("navigator"))?,
            &JsValue::from_str("storage"),
        )?;
        let estimate: js_sys::Function =
            js_sys::Reflect::get(&storage, &JsValue::from_str("estimate"))?.dyn_into()?;
        let promise: js_sys::Promise = estimate.call0(&storage)?.dyn_into()?;
        let answer = wasm_bindgen_futures::JsFuture::from(promise).await?;
        let field = |name: &str| {
            js_sys::Reflect::get(&answer, &JsValue::from_str(name))
                .ok()
                .and_then(|v| v.as_f64())
        };
        Ok::<_, JsValue>((field("usage"), field("quota")))
    };
    match estimate.await {
        Ok((Some(usage), Some(quota))) => quota - usage < (2.0 * written_bytes).max(MARGIN_BYTES),
        _ => false,
    }
}

/// Lets the context run its other tasks (messages, other calls) before going on: long work yields between
/// its pieces so that a worker stays responsive.
pub(crate) async fn yield_now() {
    let global = js_sys::global();
    let Ok(set_timeout) = Reflect::get(&global, &JsValue::from_str("setTimeout"))
        .and_then(|f| f.dyn_into::<js_sys::Function>())
    else {
        return;
    };
    let resumed = js_sys::Promise::new(&mut |resolve, _| {
        let _ = set_timeout.call2(&global, &resolve, &JsValue::from(0));
    });
    let _ = wasm_bindgen_futures::JsFuture::from(resumed).await;
}
