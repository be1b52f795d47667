//! mls-web-store: durable, private browser storage for end-to-end-encrypted (MLS) chat apps.
//!
//! One SQL core (SQLite compiled to WebAssembly) on browser backends: OPFS through the `sahpool` VFS in a
//! dedicated Worker, and memory for tests and ephemeral stores. Every store is migrated to this build's schema
//! when it opens and refuses a schema it does not know.
//!
//! Layers, top down: `js` (the wasm-bindgen facade), `store` (domain APIs on one database), `sql` (the safe
//! SQLite wrapper and migration runner), `vfs` (where files live). `schema` and `backend` hold the
//! platform-independent data both sides need.
//!
//! Platform split: the `cfg(target_family = "wasm")` gates below are the crate's only ones. Everything that
//! touches SQLite or the browser is wasm-only; the rest also builds and tests natively.

pub mod api_manifest;
pub mod archive;
pub mod backend;
pub mod error_code;
pub mod schema;

#[cfg(target_family = "wasm")]
pub mod backup;
#[cfg(target_family = "wasm")]
pub mod catch_up;
#[cfg(target_family = "wasm")]
pub mod chat;
#[cfg(target_family = "wasm")]
mod hex;
#[cfg(target_family = "wasm")]
pub mod js;
#[cfg(target_family = "wasm")]
pub mod kv;
#[cfg(target_family = "wasm")]
pub mod mls;
#[cfg(target_family = "wasm")]
mod platform;
#[cfg(target_family = "wasm")]
pub mod sql;
#[cfg(target_family = "wasm")]
pub mod store;
#[cfg(target_family = "wasm")]
pub mod vfs;

#[cfg(target_family = "wasm")]
pub use js::ERROR_NAME;
#[cfg(target_family = "wasm")]
pub use store::{Store, StoreConfig, StoreError};

pub use error_code::ErrorCode;
