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

/// What a tab that relays its calls to the tab owning store `store_name` shows to prove it opened the store
/// with the same key (or, for an unencrypted store, with none) without sending the key: HMAC-SHA256 under
/// the key (empty without one) of a fixed label and the store's name. The owner compares it with its own.
pub fn relay_key_check(store_name: &str, key: Option<&StoreKey>) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let secret: &[u8] = key.map_or(&[], |key| key.bytes().as_slice());
    // HMAC takes a key of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret) else {
        return [0; 32];
    };
    mac.update(b"mls-web-store relay key check v1\0");
    mac.update(store_name.as_bytes());
    mac.finalize().into_bytes().into()
}
