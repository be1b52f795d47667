//! Turns Rust errors into JS `Error` objects at the wasm-bindgen boundary, and nowhere else. Every error has
//! `name = "MlsWebStoreError"`, a stable `code` string to branch on, and the Rust error's text as `message`.

use js_sys::{Error, Reflect};
use wasm_bindgen::JsValue;

use crate::error_code::ErrorCode;
use crate::store::StoreError;

/// The `name` of every error this package throws.
pub const ERROR_NAME: &str = "MlsWebStoreError";

/// Builds the JS error for `code` and `message`.
pub(crate) fn js_error(code: ErrorCode, message: &str) -> JsValue {
    let error = Error::new(message);
    error.set_name(ERROR_NAME);
    // Setting a data property on a fresh Error object cannot fail.
    let _ = Reflect::set(
        &error,
        &JsValue::from_str("code"),
        &JsValue::from_str(code.as_str()),
    );
    error.into()
}

impl From<StoreError> for JsValue {
    fn from(error: StoreError) -> JsValue {
        js_error(error.code(), &error.to_string())
    }
}
