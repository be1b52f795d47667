//! OpenMLS on its own `MemoryStorage` (through `OpenMlsRustCrypto`): the baseline the MLS benchmarks divide by.

use mls_web_store::mls::CIPHERSUITE;
use openmls::prelude::tls_codec::Deserialize as _;
use openmls::prelude::*;
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;

/// A signature key pair stored in `provider`, and its basic credential for `name`.
pub fn memory_identity(
    provider: &OpenMlsRustCrypto,
    name: &[u8],
) -> (SignatureKeyPair, CredentialWithKey) {
    let signer = SignatureKeyPair::new(CIPHERSUITE.signature_algorithm()).expect("keys");
    signer.store(provider.storage()).expect("store keys");
    let credential = CredentialWithKey {
        credential: BasicCredential::new(name.to_vec()).into(),
        signature_key: signer.public().into(),
    };
    (signer, credential)
}

/// Decodes and processes wire bytes that must be an application message; returns its plaintext.
pub fn decrypt(group: &mut MlsGroup, provider: &OpenMlsRustCrypto, bytes: &[u8]) -> Vec<u8> {
    let message = MlsMessageIn::tls_deserialize_exact(bytes).expect("message");
    let protocol = message
        .try_into_protocol_message()
        .expect("protocol message");
    match group
        .process_message(provider, protocol)
        .expect("process")
        .into_content()
    {
        ProcessedMessageContent::ApplicationMessage(message) => message.into_bytes(),
        _ => panic!("expected an application message"),
    }
}
