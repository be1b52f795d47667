//! The objects the JS API returns, each described once: `js_object!` (a plain object) and `js_union!` (a
//! union tagged by a string property) take the JS property names, each property's JS type and the Rust
//! expression that gives its value, and produce both the function that builds the object and its TypeScript
//! declaration (a `typescript_custom_section` in the generated `.d.ts`). A property's value must have the Rust
//! type its JS type converts from, so the object built and the declaration published cannot disagree.
//!
//! JS types are marker types implementing [`JsType`], each made by `js_type!`: `Str`, `Bytes`, `Int`,
//! `Uint`, `Bool`, `Code`, the string unions below, and every shape the two macros define (so shapes nest). A property is `one T`,
//! `nullable T` (`T | null`, from an `Option`) or `list T` (`T[]`, from anything iterable).

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

/// A marker [`JsType`]: `js_type! { pub(super) Name = "TypeScript", for<'a> ValueType, |value| js_value }`.
macro_rules! js_type {
    (
        $(#[doc = $doc:literal])*
        $vis:vis $name:ident = $ts:expr, for<$lt:lifetime> $value_ty:ty, |$value:ident| $to_js:expr
    ) => {
        $(#[doc = $doc])*
        $vis enum $name {}

        impl $crate::js::shape::JsType for $name {
            const TS: &'static str = $ts;
            type Value<$lt> = $value_ty;
            fn to_js($value: Self::Value<'_>) -> ::wasm_bindgen::JsValue {
                $to_js
            }
        }
    };
}
pub(super) use js_type;

js_type! {
    /// A JS string.
    pub(super) Str = "string", for<'a> &'a str, |value| JsValue::from_str(value)
}

js_type! {
    /// A `Uint8Array` (a copy of the bytes).
    pub(super) Bytes = "Uint8Array", for<'a> &'a [u8], |value| js_sys::Uint8Array::from(value).into()
}

js_type! {
    /// A number from a signed integer: sequences, counts and millisecond times stay far below 2^53.
    pub(super) Int = "number", for<'a> i64, |value| JsValue::from_f64(value as f64)
}

js_type! {
    /// A number from an unsigned integer: MLS epochs and byte counts, exact up to 2^53, which none reaches.
    pub(super) Uint = "number", for<'a> u64, |value| JsValue::from_f64(value as f64)
}

js_type! {
    pub(super) Bool = "boolean", for<'a> bool, |value| JsValue::from_bool(value)
}

js_type! {
    /// An error code (the `ErrorCode` union generated from [`ErrorCode`]).
    pub(super) Code = "ErrorCode", for<'a> ErrorCode, |value| JsValue::from_str(value.as_str())
}

js_type! {
    /// A member's role, as stored (the schema's CHECK constraint keeps it to
    /// [`crate::chat::MemberRole`]'s names).
    pub(super) Role = r#""creator" | "admin" | "member""#, for<'a> &'a str, |value| JsValue::from_str(value)
}

js_type! {
    /// Where a two-phase welcome stands.
    pub(super) Welcome = "WelcomeState", for<'a> WelcomeState,
        |value| JsValue::from_str(welcome_state_name(value))
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
                $( $crate::js::convert::set(
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
                        $crate::js::convert::set(&object, $tag, &::wasm_bindgen::JsValue::from_str($tag_value));
                        $( $crate::js::convert::set(
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
