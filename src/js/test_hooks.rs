//! Test hooks on the JS API, compiled only with the `test-hooks` feature: the package built for the
//! end-to-end harness has them, the shipped package does not (`scripts/check-release-exports.mjs` checks).

use wasm_bindgen::prelude::wasm_bindgen;

use super::JsStore;

#[wasm_bindgen(js_class = Store)]
impl JsStore {
    /// While `on`, this context's IndexedDB writes fail as a full origin's would (QuotaExceededError).
    #[wasm_bindgen(js_name = debugSimulateStorageFull, skip_typescript)]
    pub fn debug_simulate_storage_full(&self, on: bool) {
        crate::vfs::idb::simulate_storage_full_for_tests(on);
    }
}
