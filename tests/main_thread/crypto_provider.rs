//! The store's provider against RFC 9180's test vectors and against RustCrypto's provider (the reference
//! OpenMLS ships), both ways: what one seals or signs, the other opens or verifies; derived keys and
//! exported secrets are equal; other suites are refused; stored identities read back in either form.

use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::RustCrypto;
use openmls_traits::crypto::OpenMlsCrypto;
use openmls_traits::types::{
    Ciphersuite, CryptoError, HpkeAeadType, HpkeCiphertext, HpkeConfig, HpkeKdfType, HpkeKemType,
    SignatureScheme,
};

use mls_web_store::mls::crypto::{storage_id, IdentityKeys, StoreCrypto};
use mls_web_store::mls::CIPHERSUITE;
use wasm_bindgen_test::wasm_bindgen_test;

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap())
        .collect()
}

fn config() -> HpkeConfig {
    CIPHERSUITE.hpke_config()
}

#[wasm_bindgen_test]
fn the_store_suite_is_rfc_9180_a_1_1() {
    assert!(matches!(
        config(),
        HpkeConfig(
            HpkeKemType::DhKem25519,
            HpkeKdfType::HkdfSha256,
            HpkeAeadType::AesGcm128
        )
    ));
}

#[wasm_bindgen_test]
fn rfc_9180_a_1_1_keys_derive_and_the_first_message_opens() {
    let crypto = StoreCrypto::default();
    let recipient = crypto
        .derive_hpke_keypair(
            config(),
            &unhex("6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037"),
        )
        .unwrap();
    assert_eq!(
        &*recipient.private,
        unhex("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8")
    );
    assert_eq!(
        recipient.public,
        unhex("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d")
    );
    let ephemeral = crypto
        .derive_hpke_keypair(
            config(),
            &unhex("7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234"),
        )
        .unwrap();
    assert_eq!(
        &*ephemeral.private,
        unhex("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736")
    );
    let enc = unhex("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431");
    assert_eq!(ephemeral.public, enc);

    let sealed = HpkeCiphertext {
        kem_output: enc.into(),
        ciphertext: unhex(
            "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a",
        )
        .into(),
    };
    let info = unhex("4f6465206f6e2061204772656369616e2055726e");
    let aad = unhex("436f756e742d30");
    let opened = crypto
        .hpke_open(config(), &sealed, &recipient.private, &info, &aad)
        .unwrap();
    assert_eq!(
        opened,
        unhex("4265617574792069732074727574682c20747275746820626561757479")
    );
    // One byte changed anywhere is refused.
    let mut forged = sealed.clone();
    let mut bytes = forged.ciphertext.as_slice().to_vec();
    bytes[0] ^= 1;
    forged.ciphertext = bytes.into();
    assert!(crypto
        .hpke_open(config(), &forged, &recipient.private, &info, &aad)
        .is_err());
    assert!(crypto
        .hpke_open(config(), &sealed, &recipient.private, &info, b"Count-1")
        .is_err());
}

#[wasm_bindgen_test]
fn hpke_interoperates_with_rustcrypto_both_ways() {
    let ours = StoreCrypto::default();
    let reference = RustCrypto::default();
    let ikm = [7u8; 32];
    let key = ours.derive_hpke_keypair(config(), &ikm).unwrap();
    let reference_key = reference.derive_hpke_keypair(config(), &ikm).unwrap();
    assert_eq!(&*key.private, &*reference_key.private);
    assert_eq!(key.public, reference_key.public);

    let sealed = ours
        .hpke_seal(config(), &key.public, b"info", b"aad", b"from the store")
        .unwrap();
    assert_eq!(
        reference
            .hpke_open(config(), &sealed, &key.private, b"info", b"aad")
            .unwrap(),
        b"from the store"
    );
    let sealed = reference
        .hpke_seal(config(), &key.public, b"info", b"aad", b"from RustCrypto")
        .unwrap();
    assert_eq!(
        ours.hpke_open(config(), &sealed, &key.private, b"info", b"aad")
            .unwrap(),
        b"from RustCrypto"
    );

    let (enc, secret) = ours
        .hpke_setup_sender_and_export(config(), &key.public, b"info", b"context", 32)
        .unwrap();
    let received = reference
        .hpke_setup_receiver_and_export(config(), &enc, &key.private, b"info", b"context", 32)
        .unwrap();
    assert_eq!(&*secret, &*received);
    let (enc, secret) = reference
        .hpke_setup_sender_and_export(config(), &key.public, b"info", b"context", 32)
        .unwrap();
    let received = ours
        .hpke_setup_receiver_and_export(config(), &enc, &key.private, b"info", b"context", 32)
        .unwrap();
    assert_eq!(&*secret, &*received);
}

#[wasm_bindgen_test]
fn a_small_order_public_key_is_refused() {
    let ours = StoreCrypto::default();
    // The all-zero point gives an all-zero shared secret (RFC 9180 7.1.4).
    assert!(ours
        .hpke_seal(config(), &[0u8; 32], b"", b"", b"secret")
        .is_err());
    assert!(ours
        .hpke_seal(config(), &[9u8; 31], b"", b"", b"x")
        .is_err());
}

#[wasm_bindgen_test]
fn signatures_interoperate_with_rustcrypto_both_ways() {
    let ours = StoreCrypto::default();
    let reference = RustCrypto::default();
    let (private, public) = ours.signature_key_gen(SignatureScheme::ED25519).unwrap();
    let signature = ours
        .sign(SignatureScheme::ED25519, b"payload", &private)
        .unwrap();
    // Ed25519 is deterministic: both sign alike.
    assert_eq!(
        reference
            .sign(SignatureScheme::ED25519, b"payload", &private)
            .unwrap(),
        signature
    );
    reference
        .verify_signature(SignatureScheme::ED25519, b"payload", &public, &signature)
        .unwrap();
    let (private, public) = reference
        .signature_key_gen(SignatureScheme::ED25519)
        .unwrap();
    let signature = reference
        .sign(SignatureScheme::ED25519, b"payload", &private)
        .unwrap();
    ours.verify_signature(SignatureScheme::ED25519, b"payload", &public, &signature)
        .unwrap();
    assert_eq!(
        ours.verify_signature(SignatureScheme::ED25519, b"payloaD", &public, &signature),
        Err(CryptoError::InvalidSignature)
    );
    assert!(ours
        .verify_signature(
            SignatureScheme::ED25519,
            b"payload",
            &public,
            &signature[..63]
        )
        .is_err());
}

#[wasm_bindgen_test]
fn other_suites_and_schemes_are_refused() {
    let ours = StoreCrypto::default();
    assert_eq!(ours.supported_ciphersuites(), vec![CIPHERSUITE]);
    ours.supports(CIPHERSUITE).unwrap();
    for other in [
        Ciphersuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
        Ciphersuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519,
        Ciphersuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384,
    ] {
        assert_eq!(
            ours.supports(other),
            Err(CryptoError::UnsupportedCiphersuite)
        );
    }
    let p256 = HpkeConfig(
        HpkeKemType::DhKemP256,
        HpkeKdfType::HkdfSha256,
        HpkeAeadType::AesGcm128,
    );
    assert_eq!(
        ours.derive_hpke_keypair(p256, &[1u8; 32]).map(|_| ()),
        Err(CryptoError::UnsupportedCiphersuite)
    );
    for scheme in [
        SignatureScheme::ECDSA_SECP256R1_SHA256,
        SignatureScheme::ECDSA_SECP384R1_SHA384,
    ] {
        assert_eq!(
            ours.signature_key_gen(scheme).map(|_| ()),
            Err(CryptoError::UnsupportedSignatureScheme)
        );
        assert_eq!(
            ours.sign(scheme, b"x", &[1u8; 32]),
            Err(CryptoError::UnsupportedSignatureScheme)
        );
    }
}

#[wasm_bindgen_test]
fn identity_keys_are_stored_as_openmls_basic_credential_stored_them() {
    use openmls_traits::signatures::Signer;
    let ours = StoreCrypto::default();
    let keys = IdentityKeys::generate(&ours).unwrap();
    let (private, public) = (keys.private_for_tests().to_vec(), keys.public().to_vec());
    let basic = SignatureKeyPair::from_raw(SignatureScheme::ED25519, private, public.clone());
    let stored = serde_json::to_value(&keys).unwrap();
    assert_eq!(stored, serde_json::to_value(&basic).unwrap());
    let read: IdentityKeys = serde_json::from_value(serde_json::to_value(&basic).unwrap()).unwrap();
    assert_eq!(read.public(), public.as_slice());
    assert_eq!(
        read.sign(b"payload").unwrap(),
        basic.sign(b"payload").unwrap()
    );
    assert_eq!(
        serde_json::to_value(storage_id(&public, SignatureScheme::ED25519)).unwrap(),
        serde_json::to_value(basic.id()).unwrap()
    );
}
