//! The codec seam between OpenMLS's serde types and SQL BLOBs. Keys and values go through here and nowhere
//! else, so a change of encoding is one file. JSON, as OpenMLS's own memory and SQLite stores use: every
//! OpenMLS type round-trips through it, and decoding untrusted bytes never panics.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Encodes or decodes a value, naming what was being coded on failure.
#[derive(Debug, thiserror::Error)]
#[error("could not {action} {what}: {source}")]
pub struct CodecError {
    pub action: &'static str,
    pub what: &'static str,
    #[source]
    pub source: serde_json::Error,
}

pub(crate) fn encode<T: Serialize + ?Sized>(
    what: &'static str,
    value: &T,
) -> Result<Vec<u8>, CodecError> {
    serde_json::to_vec(value).map_err(|source| CodecError {
        action: "encode",
        what,
        source,
    })
}

pub(crate) fn decode<T: DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, CodecError> {
    serde_json::from_slice(bytes).map_err(|source| CodecError {
        action: "decode",
        what,
        source,
    })
}
