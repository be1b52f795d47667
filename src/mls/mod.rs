//! MLS on the store: OpenMLS's `StorageProvider` over the SQL core (`storage`), the provider that pairs it
//! with the store's own crypto provider (`crypto`, `provider`), and a small client API (`client`, `welcome`) so an app never touches the
//! trait. Every client operation runs in one SQL transaction.

mod cache;
mod client;
pub mod codec;
pub mod crypto;
mod erase;
mod error;
mod groups;
mod provider;
pub mod storage;
mod welcome;

pub use cache::GroupCache;
pub use client::{
    AddMembersOutput, GeneratedKeyPackage, IdentityInfo, Incoming, KeyPackageState, MlsClient,
    CIPHERSUITE,
};
pub(crate) use erase::erase_all;
pub use error::MlsError;
pub(crate) use groups::{parse_protocol_message, process_in};
pub use provider::MlsProvider;
pub use storage::{MlsStorageError, SqlStorage};
pub use welcome::{WelcomeConfig, WelcomeState};

/// Milliseconds since the Unix epoch, from whoever assembles the client (the store passes the platform's).
pub type Clock = fn() -> i64;
