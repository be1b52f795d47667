//! The objects the JS API returns, each described once: `js_object!` (a plain object) and `js_union!` (a
//! union tagged by a string property) take the JS property names, each property's JS type and the Rust
//! expression that gives its value, and produce both the function that builds the object and its TypeScript
//! declaration (a `typescript_custom_section` in the generated `.d.ts`). A property's value must have the Rust
//! type its JS type converts from, so the object built and the declaration published cannot disagree.
//!
//! JS types are marker types implementing [`JsType`]: `Str`, `Bytes`, `Int`, `Uint`, `Bool`, `Code`, the
//! string unions below, and every shape a macro defines (so shapes nest). A property is `one T`,
//! `nullable T` (`T | null`, from an `Option`) or `list T` (`T[]`, from anything iterable).

use js_sys::Object;
use wasm_bindgen::JsValue;

use crate::error_code::ErrorCode;
use crate::mls::WelcomeState;

/// A JS value's TypeScript type and how it is made from its Rust value.
pub(super) trait JsType {
    /// The TypeScript type.
    const TS: &'static str;
    /// The Rust value it is made from.
    type Value<'a>;
    fn to_js(value: Self::Value<'_>) -> JsValue;
}

/// A JS string.
pub(super) struct Str;
impl JsType for Str {
    const TS: &'static str = "string";
    type Value<'a> = &'a str;
    fn to_js(value: &str) -> JsValue {
        JsValue::from_str(value)
    }
}

/// A `Uint8Array` (a copy of the bytes).
pub(super) struct Bytes;
impl JsType for Bytes {
    const TS: &'static str = "Uint8Array";
    type Value<'a> = &'a [u8];
    fn to_js(value: &[u8]) -> JsValue {
        js_sys::Uint8Array::from(value).into()
    }
}

/// A number from a signed integer: sequences, counts and millisecond times stay far below 2^53.
pub(super) struct Int;
impl JsType for Int {
    const TS: &'static str = "number";
    type Value<'a> = i64;
    fn to_js(value: i64) -> JsValue {
        JsValue::from_f64(value as f64)
    }
}

/// A number from an unsigned integer: MLS epochs and byte counts, exact up to 2^53, which none reaches.
pub(super) struct Uint;
impl JsType for Uint {
    const TS: &'static str = "number";
    type Value<'a> = u64;
    fn to_js(value: u64) -> JsValue {
        JsValue::from_f64(value as f64)
    }
}

pub(super) struct Bool;
impl JsType for Bool {
    const TS: &'static str = "boolean";
    type Value<'a> = bool;
    fn to_js(value: bool) -> JsValue {
        JsValue::from_bool(value)
    }
}

/// An error code (the `ErrorCode` union generated from [`ErrorCode`]).
pub(super) struct Code;
impl JsType for Code {
    const TS: &'static str = "ErrorCode";
    type Value<'a> = ErrorCode;
    fn to_js(value: ErrorCode) -> JsValue {
        JsValue::from_str(value.as_str())
    }
}

/// A member's role, as stored (the schema's CHECK constraint keeps it to [`crate::chat::MemberRole`]'s names).
pub(super) struct Role;
impl JsType for Role {
    const TS: &'static str = r#""creator" | "admin" | "member""#;
    type Value<'a> = &'a str;
    fn to_js(value: &str) -> JsValue {
        JsValue::from_str(value)
    }
}

/// Where a two-phase welcome stands.
pub(super) struct Welcome;
impl JsType for Welcome {
    const TS: &'static str = "WelcomeState";
    type Value<'a> = WelcomeState;
    fn to_js(value: WelcomeState) -> JsValue {
        JsValue::from_str(welcome_state_name(value))
    }
}

pub(super) const fn welcome_state_name(state: WelcomeState) -> &'static str {
    match state {
        WelcomeState::Received => "received",
        WelcomeState::InFlight => "in_flight",
        WelcomeState::Confirmed => "confirmed",
        WelcomeState::Expired => "expired",
    }
}

#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const WELCOME_STATE: &str = const_format::concatcp!(
    "export type WelcomeState = \"",
    welcome_state_name(WelcomeState::Received),
    "\" | \"",
    welcome_state_name(WelcomeState::InFlight),
    "\" | \"",
    welcome_state_name(WelcomeState::Confirmed),
    "\" | \"",
    welcome_state_name(WelcomeState::Expired),
    "\";\n"
);

/// Sets a property of a fresh plain object.
pub(super) fn set(object: &Object, key: &'static str, value: &JsValue) {
    super::convert::set(object, key, value);
}

/// A JS property's TypeScript type and value, by its kind (`one`, `nullable`, `list`).
macro_rules! js_property {
    (ts one $ty:ty) => {
        <$ty as $crate::js::shape::JsType>::TS
    };
    (ts nullable $ty:ty) => {
        ::const_format::concatcp!(<$ty as $crate::js::shape::JsType>::TS, " | null")
    };
    (ts list $ty:ty) => {
        // Element types are names or single types (a union needs a name: `(A | B)[]` is not written).
        ::const_format::concatcp!(<$ty as $crate::js::shape::JsType>::TS, "[]")
    };
    (value one $ty:ty = $value:expr) => {
        <$ty as $crate::js::shape::JsType>::to_js($value)
    };
    (value nullable $ty:ty = $value:expr) => {
        match $value {
            Some(value) => <$ty as $crate::js::shape::JsType>::to_js(value),
            None => ::wasm_bindgen::JsValue::NULL,
        }
    };
    (value list $ty:ty = $value:expr) => {
        ::wasm_bindgen::JsValue::from(
            ::core::iter::IntoIterator::into_iter($value)
                .map(<$ty as $crate::js::shape::JsType>::to_js)
                .collect::<::js_sys::Array>(),
        )
    };
}
pub(super) use js_property;

/// A property's doc comment in the declaration.
macro_rules! js_doc {
    () => {
        ""
    };
    ($($doc:literal)+) => {
        ::const_format::concatcp!("/**", $($doc, " ",)+ "*/\n  ")
    };
}
pub(super) use js_doc;

/// A declaration's doc comment.
macro_rules! js_doc_block {
    () => {
        ""
    };
    ($($doc:literal)+) => {
        ::const_format::concatcp!("/**", $($doc, "\n *",)+ "/\n")
    };
}
pub(super) use js_doc_block;

/// A plain object: `js_object! { pub(super) MarkerName as "TsName" for<'a> ValueType, |pattern| { jsName: kind
/// JsType = value, ... } }`. `extends Other = value,` before the fields first makes the object `Other`'s
/// and adds to it.
macro_rules! js_object {
    (
        $(#[doc = $doc:literal])*
        $vis:vis $name:ident as $ts:literal for<$lt:lifetime> $value_ty:ty, |$pat:pat_param|
        $(extends $base:ty = $base_value:expr,)?
        {
            $( $(#[doc = $field_doc:literal])* $field:ident : $kind:ident $field_ty:ty = $field_value:expr ),* $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        $vis enum $name {}

        impl $crate::js::shape::JsType for $name {
            const TS: &'static str = $ts;
            type Value<$lt> = $value_ty;
            #[allow(clippy::redundant_closure_call)]
            fn to_js($pat: Self::Value<'_>) -> ::wasm_bindgen::JsValue {
                #[allow(unused_variables)]
                let object = ::js_sys::Object::new();
                $( let object: ::js_sys::Object = ::wasm_bindgen::JsCast::unchecked_into(
                    <$base as $crate::js::shape::JsType>::to_js($base_value),
                ); )?
                $( $crate::js::shape::set(
                    &object,
                    stringify!($field),
                    &$crate::js::shape::js_property!(value $kind $field_ty = $field_value),
                ); )*
                object.into()
            }
        }

        impl $name {
            /// The TypeScript declaration of this object.
            #[allow(dead_code)]
            pub(super) const DECLARATION: &'static str = ::const_format::concatcp!(
                $crate::js::shape::js_doc_block!($($doc)*),
                "export interface ", $ts,
                $(" extends ", <$base as $crate::js::shape::JsType>::TS,)?
                " {\n",
                $( "  ", $crate::js::shape::js_doc!($($field_doc)*), stringify!($field), ": ",
                   $crate::js::shape::js_property!(ts $kind $field_ty), ";\n", )*
                "}\n"
            );
        }

        #[allow(non_upper_case_globals)]
        const _: () = {
            #[::wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
            const $name: &str = <$name>::DECLARATION;
        };
    };
}
pub(super) use js_object;

/// A union of objects told apart by the string property `tag`: `js_union! { pub(super) MarkerName as
/// "TsName", tag "kind", for<'a> ValueType, |value| { pattern => "tagValue" { jsName: kind JsType = value,
/// ... }, ... } }`. The patterns are matched against the value in order.
macro_rules! js_union {
    (
        $(#[doc = $doc:literal])*
        $vis:vis $name:ident as $ts:literal, tag $tag:literal, for<$lt:lifetime> $value_ty:ty, |$value:ident| {
            $( $variant:pat => $tag_value:literal {
                $( $field:ident : $kind:ident $field_ty:ty = $field_value:expr ),* $(,)?
            } ),* $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        $vis enum $name {}

        impl $crate::js::shape::JsType for $name {
            const TS: &'static str = $ts;
            type Value<$lt> = $value_ty;
            fn to_js($value: Self::Value<'_>) -> ::wasm_bindgen::JsValue {
                let object = ::js_sys::Object::new();
                match $value {
                    $( $variant => {
                        $crate::js::shape::set(&object, $tag, &::wasm_bindgen::JsValue::from_str($tag_value));
                        $( $crate::js::shape::set(
                            &object,
                            stringify!($field),
                            &$crate::js::shape::js_property!(value $kind $field_ty = $field_value),
                        ); )*
                    } )*
                }
                object.into()
            }
        }

        impl $name {
            /// The TypeScript declaration of this union.
            #[allow(dead_code)]
            pub(super) const DECLARATION: &'static str = ::const_format::concatcp!(
                $crate::js::shape::js_doc_block!($($doc)*),
                "export type ", $ts, " =",
                $( "\n  | { ", $tag, ": \"", $tag_value, "\"",
                   $( "; ", stringify!($field), ": ", $crate::js::shape::js_property!(ts $kind $field_ty), )*
                   " }", )*
                ";\n"
            );
        }

        #[allow(non_upper_case_globals)]
        const _: () = {
            #[::wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
            const $name: &str = <$name>::DECLARATION;
        };
    };
}
pub(super) use js_union;
