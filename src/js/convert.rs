//! Reading JS arguments and building JS results: plain objects, `Uint8Array`s, numbers. Anything of the
//! wrong shape is an `INVALID_ARGUMENT` naming what was expected.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::store::StoreError;

/// Largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

thread_local! {
    /// Property names as JS strings, each made once: making a JS string from Rust decodes UTF-8 in JS, and
    /// a 10k-message batch reads four properties of each message and sets three of each result.
    static PROPERTY_NAMES: RefCell<HashMap<&'static str, JsValue>> = RefCell::new(HashMap::new());
}

fn property_name(key: &'static str) -> JsValue {
    PROPERTY_NAMES.with(|names| {
        names
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| JsValue::from_str(key))
            .clone()
    })
}

pub(super) fn set(object: &Object, key: &'static str, value: &JsValue) {
    // Defining a property on a fresh plain object cannot fail.
    let _ = Reflect::set(object, &property_name(key), value);
}

pub(super) fn bytes(value: &[u8]) -> JsValue {
    Uint8Array::from(value).into()
}

pub(super) fn byte_list(values: &[Vec<u8>]) -> JsValue {
    values.iter().map(|v| bytes(v)).collect::<Array>().into()
}

pub(super) fn integer(value: i64) -> JsValue {
    // Sequences, counts and millisecond times stay far below 2^53.
    JsValue::from_f64(value as f64)
}

/// A property of an options object; `undefined` when `object` is `undefined` or `null`.
pub(super) fn field(object: &JsValue, key: &'static str) -> Result<JsValue, StoreError> {
    if object.is_undefined() || object.is_null() {
        return Ok(JsValue::UNDEFINED);
    }
    if !object.is_object() {
        return Err(StoreError::InvalidArgument("expected an options object"));
    }
    Reflect::get(object, &property_name(key))
        .map_err(|_| StoreError::InvalidArgument("unreadable property"))
}

fn absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

pub(super) fn required_bytes(value: &JsValue, what: &'static str) -> Result<Vec<u8>, StoreError> {
    value
        .dyn_ref::<Uint8Array>()
        .map(Uint8Array::to_vec)
        .ok_or(StoreError::InvalidArgument(what))
}

pub(super) fn optional_bytes(
    value: &JsValue,
    what: &'static str,
) -> Result<Option<Vec<u8>>, StoreError> {
    if absent(value) {
        Ok(None)
    } else {
        required_bytes(value, what).map(Some)
    }
}

pub(super) fn optional_string(
    value: &JsValue,
    what: &'static str,
) -> Result<Option<String>, StoreError> {
    if absent(value) {
        Ok(None)
    } else {
        value
            .as_string()
            .map(Some)
            .ok_or(StoreError::InvalidArgument(what))
    }
}

pub(super) fn optional_integer_arg(
    value: &JsValue,
    what: &'static str,
) -> Result<Option<i64>, StoreError> {
    if absent(value) {
        return Ok(None);
    }
    let number = value.as_f64().ok_or(StoreError::InvalidArgument(what))?;
    if number.fract() != 0.0 || number.abs() > MAX_SAFE_INTEGER {
        return Err(StoreError::InvalidArgument(what));
    }
    // Checked above: an integer within ±2^53 converts exactly.
    Ok(Some(number as i64))
}

pub(super) fn optional_bool(
    value: &JsValue,
    what: &'static str,
) -> Result<Option<bool>, StoreError> {
    if absent(value) {
        Ok(None)
    } else {
        value
            .as_bool()
            .map(Some)
            .ok_or(StoreError::InvalidArgument(what))
    }
}

/// An array of `Uint8Array`s.
pub(super) fn byte_arrays(value: &JsValue, what: &'static str) -> Result<Vec<Vec<u8>>, StoreError> {
    let list = value
        .dyn_ref::<Array>()
        .ok_or(StoreError::InvalidArgument(what))?;
    list.iter()
        .map(|item| required_bytes(&item, what))
        .collect()
}
