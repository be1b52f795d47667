//! The key a store's database is encrypted with. Held in zeroized memory, never printed.

use zeroize::Zeroizing;

/// A 32-byte database key. Use 32 random bytes, or the output of a password KDF (Argon2id, PBKDF2 with many
/// iterations): the store uses it as is.
pub struct StoreKey(Zeroizing<[u8; 32]>);

impl StoreKey {
    /// A key from exactly 32 bytes.
    ///
    /// # Errors
    /// The slice is not 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<StoreKey, InvalidKeyLength> {
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| InvalidKeyLength(bytes.len()))?;
        Ok(StoreKey(Zeroizing::new(array)))
    }

    /// Another zeroizing copy of the key.
    pub(crate) fn duplicate(&self) -> StoreKey {
        StoreKey(self.0.clone())
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

/// A key of the wrong length was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a store key is 32 bytes, got {0}")]
pub struct InvalidKeyLength(pub usize);
