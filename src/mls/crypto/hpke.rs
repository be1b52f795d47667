//! HPKE primitives for the store's one KEM, DHKEM(X25519, HKDF-SHA256): the Diffie-Hellman steps on
//! `x25519-dalek`; key derivation, AEAD and the PRNG passed through to hpke-rs's RustCrypto backend, whose
//! other KEMs (P-256, P-384, secp256k1, X-Wing) are refused here and so never linked. hpke-rs itself runs
//! the HPKE protocol (RFC 9180) over these.

use hpke_rs_crypto::error::Error;
use hpke_rs_crypto::types::{AeadAlgorithm, KdfAlgorithm, KemAlgorithm};
use hpke_rs_crypto::HpkeCrypto;
use hpke_rs_rust_crypto::HpkeRustCrypto;
use subtle::ConstantTimeEq;
use x25519_dalek::{PublicKey, StaticSecret};

/// hpke-rs's crypto backend, X25519 only.
#[derive(Debug)]
pub(crate) struct X25519Hpke;

fn x25519_only(alg: KemAlgorithm) -> Result<(), Error> {
    match alg {
        KemAlgorithm::DhKem25519 => Ok(()),
        _ => Err(Error::UnknownKemAlgorithm),
    }
}

fn secret_key(sk: &[u8]) -> Result<StaticSecret, Error> {
    let bytes: [u8; 32] = sk.try_into().map_err(|_| Error::KemInvalidSecretKey)?;
    Ok(StaticSecret::from(bytes))
}

impl HpkeCrypto for X25519Hpke {
    type HpkePrng = <HpkeRustCrypto as HpkeCrypto>::HpkePrng;

    fn name() -> String {
        "mls-web-store X25519".into()
    }

    fn supports_kdf(alg: KdfAlgorithm) -> Result<(), Error> {
        HpkeRustCrypto::supports_kdf(alg)
    }

    fn supports_kem(alg: KemAlgorithm) -> Result<(), Error> {
        x25519_only(alg)
    }

    fn supports_aead(alg: AeadAlgorithm) -> Result<(), Error> {
        HpkeRustCrypto::supports_aead(alg)
    }

    fn prng() -> Self::HpkePrng {
        HpkeRustCrypto::prng()
    }

    fn kdf_extract(alg: KdfAlgorithm, salt: &[u8], ikm: &[u8]) -> Result<Vec<u8>, Error> {
        HpkeRustCrypto::kdf_extract(alg, salt, ikm)
    }

    fn kdf_expand(
        alg: KdfAlgorithm,
        prk: &[u8],
        info: &[u8],
        output_size: usize,
    ) -> Result<Vec<u8>, Error> {
        HpkeRustCrypto::kdf_expand(alg, prk, info, output_size)
    }

    fn dh(alg: KemAlgorithm, pk: &[u8], sk: &[u8]) -> Result<Vec<u8>, Error> {
        x25519_only(alg)?;
        let public: [u8; 32] = pk.try_into().map_err(|_| Error::KemInvalidPublicKey)?;
        let shared = secret_key(sk)?.diffie_hellman(&PublicKey::from(public));
        // RFC 9180 7.1.4: an all-zero shared secret (a small-order public key) must be refused.
        if bool::from(shared.as_bytes().ct_eq(&[0u8; 32])) {
            return Err(Error::KemInvalidPublicKey);
        }
        Ok(shared.as_bytes().to_vec())
    }

    fn secret_to_public(alg: KemAlgorithm, sk: &[u8]) -> Result<Vec<u8>, Error> {
        x25519_only(alg)?;
        Ok(PublicKey::from(&secret_key(sk)?).as_bytes().to_vec())
    }

    fn kem_key_gen(
        alg: KemAlgorithm,
        prng: &mut Self::HpkePrng,
    ) -> Result<(Vec<u8>, Vec<u8>), Error> {
        x25519_only(alg)?;
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        let Ok(()) = rand_core_010::TryRng::try_fill_bytes(prng, bytes.as_mut_slice());
        let secret = StaticSecret::from(*bytes);
        Ok((
            PublicKey::from(&secret).as_bytes().to_vec(),
            secret.to_bytes().to_vec(),
        ))
    }

    fn kem_key_gen_derand(_alg: KemAlgorithm, _seed: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
        Err(Error::UnsupportedKemOperation)
    }

    fn kem_encaps(
        _alg: KemAlgorithm,
        _pk_r: &[u8],
        _prng: &mut Self::HpkePrng,
    ) -> Result<(Vec<u8>, Vec<u8>), Error> {
        Err(Error::UnsupportedKemOperation)
    }

    fn kem_decaps(_alg: KemAlgorithm, _ct: &[u8], _sk_r: &[u8]) -> Result<Vec<u8>, Error> {
        Err(Error::UnsupportedKemOperation)
    }

    fn dh_validate_sk(_alg: KemAlgorithm, _sk: &[u8]) -> Result<Vec<u8>, Error> {
        // Asked only of the NIST curves' candidate keys (X25519 takes any 32 bytes).
        Err(Error::UnknownKemAlgorithm)
    }

    fn aead_seal(
        alg: AeadAlgorithm,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        msg: &[u8],
    ) -> Result<Vec<u8>, Error> {
        HpkeRustCrypto::aead_seal(alg, key, nonce, aad, msg)
    }

    fn aead_open(
        alg: AeadAlgorithm,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        msg: &[u8],
    ) -> Result<Vec<u8>, Error> {
        HpkeRustCrypto::aead_open(alg, key, nonce, aad, msg)
    }
}
