//! The store's Ed25519 identity key pair, kept where OpenMLS keeps signature key pairs. Its stored form and
//! storage id are those of `openmls_basic_credential::SignatureKeyPair`, which earlier versions used, so
//! the identities of existing stores (and of old backups) read back unchanged.

use openmls_basic_credential::StorageId;
use openmls_traits::signatures::{Signer, SignerError};
use openmls_traits::storage::{self, StorageProvider, CURRENT_VERSION};
use openmls_traits::types::SignatureScheme;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// An Ed25519 key pair: the 32-byte secret seed and the public key.
#[derive(Serialize, Deserialize)]
pub struct IdentityKeys {
    private: Vec<u8>,
    public: Vec<u8>,
    signature_scheme: SignatureScheme,
}

impl Drop for IdentityKeys {
    fn drop(&mut self) {
        self.private.zeroize();
    }
}

impl storage::Entity<CURRENT_VERSION> for IdentityKeys {}
impl storage::traits::SignatureKeyPair<CURRENT_VERSION> for IdentityKeys {}

/// Signs `data` with the Ed25519 secret seed `seed`; `None` when it is not 32 bytes.
pub(super) fn ed25519_sign(seed: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    use ed25519_dalek::Signer as _;
    let key = ed25519_dalek::SigningKey::try_from(seed).ok()?;
    Some(key.sign(data).to_bytes().to_vec())
}

/// The storage id OpenMLS's basic credential gives a key pair: the public key, a label, the scheme.
pub fn storage_id(public: &[u8], scheme: SignatureScheme) -> StorageId {
    let mut id = public.to_vec();
    id.extend_from_slice(b"RustCryptoSignatureKey");
    id.extend_from_slice(&(scheme as u16).to_be_bytes());
    StorageId::from(id)
}

impl IdentityKeys {
    /// A new key pair from `crypto`'s randomness.
    pub fn generate(
        crypto: &super::StoreCrypto,
    ) -> Result<Self, openmls_traits::types::CryptoError> {
        use openmls_traits::crypto::OpenMlsCrypto as _;
        let (private, public) = crypto.signature_key_gen(SignatureScheme::ED25519)?;
        Ok(IdentityKeys {
            private,
            public,
            signature_scheme: SignatureScheme::ED25519,
        })
    }

    /// Stores the key pair under its public key.
    pub fn store<S: StorageProvider<CURRENT_VERSION>>(&self, store: &S) -> Result<(), S::Error> {
        store.write_signature_key_pair(&storage_id(&self.public, self.signature_scheme), self)
    }

    /// The key pair stored under `public`, if any (an unreadable one is none).
    pub fn read<S: StorageProvider<CURRENT_VERSION>>(store: &S, public: &[u8]) -> Option<Self> {
        store
            .signature_key_pair(&storage_id(public, SignatureScheme::ED25519))
            .ok()
            .flatten()
    }

    /// The public key.
    pub fn public(&self) -> &[u8] {
        &self.public
    }

    /// The secret seed, for the tests that compare the stored form with OpenMLS's.
    #[cfg(feature = "test-hooks")]
    pub fn private_for_tests(&self) -> &[u8] {
        &self.private
    }
}

impl Signer for IdentityKeys {
    fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, SignerError> {
        if self.signature_scheme != SignatureScheme::ED25519 {
            return Err(SignerError::SigningError);
        }
        ed25519_sign(&self.private, payload).ok_or(SignerError::SigningError)
    }

    fn signature_scheme(&self) -> SignatureScheme {
        self.signature_scheme
    }
}
