//! Keys, per-frame AES-256-GCM and Ed25519 signatures, all from well-kept crates (aes-gcm, argon2,
//! ed25519-dalek). Nonces are the archive's random base XOR a counter no two units share.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

use super::format::KeyBlock;
use super::ArchiveError;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub m_cost: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl Default for Argon2Params {
    /// 64 MiB, 3 passes, 1 lane: OWASP's Argon2id guidance, and a second or so in a browser.
    fn default() -> Self {
        Argon2Params {
            m_cost: 64 * 1024,
            t_cost: 3,
            p_cost: 1,
        }
    }
}

/// Upper bounds a reader accepts from a file before spending memory or time on them.
pub(super) const MAX_M_COST: u32 = 256 * 1024;
pub(super) const MAX_T_COST: u32 = 10;
pub(super) const MAX_P_COST: u32 = 4;

/// How an archive is (to be) encrypted.
pub enum ArchiveKey {
    /// A raw 32-byte key.
    Raw(Zeroizing<[u8; 32]>),
    /// A passphrase, stretched with Argon2id (the parameters apply when writing; a reader takes the file's).
    Passphrase(Zeroizing<String>, Argon2Params),
}

impl ArchiveKey {
    pub fn raw(bytes: [u8; 32]) -> Self {
        ArchiveKey::Raw(Zeroizing::new(bytes))
    }

    pub fn passphrase(passphrase: &str) -> Self {
        ArchiveKey::Passphrase(
            Zeroizing::new(passphrase.to_owned()),
            Argon2Params::default(),
        )
    }
}

impl std::fmt::Debug for ArchiveKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArchiveKey::Raw(_) => f.write_str("ArchiveKey::Raw(..)"),
            ArchiveKey::Passphrase(_, params) => {
                write!(f, "ArchiveKey::Passphrase(.., {params:?})")
            }
        }
    }
}

/// The 32-byte key of `key` for an archive with `salt` and (for passphrases) `params`.
pub(super) fn derive(
    key: &ArchiveKey,
    salt: &[u8; 16],
    params: Argon2Params,
) -> Result<Zeroizing<[u8; 32]>, ArchiveError> {
    match key {
        ArchiveKey::Raw(bytes) => Ok(bytes.clone()),
        ArchiveKey::Passphrase(passphrase, _) => {
            let params = argon2::Params::new(params.m_cost, params.t_cost, params.p_cost, Some(32))
                .map_err(|e| ArchiveError::Corrupt(format!("Argon2 parameters: {e}")))?;
            let argon =
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
            let mut out = Zeroizing::new([0u8; 32]);
            argon
                .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
                .map_err(|e| ArchiveError::InvalidArgument(format!("Argon2id: {e}")))?;
            Ok(out)
        }
    }
}

/// The cipher of an archive with key block `block`, once `key` passes the key check.
pub(super) fn unlock(
    block: &KeyBlock,
    key: &ArchiveKey,
    archive_id: [u8; 16],
) -> Result<FrameCipher, ArchiveError> {
    let params = block.params;
    if block.kdf == 1 {
        if params.m_cost > MAX_M_COST || params.t_cost > MAX_T_COST || params.p_cost > MAX_P_COST {
            return Err(ArchiveError::LimitExceeded("Argon2id parameters".into()));
        }
        if !matches!(key, ArchiveKey::Passphrase(..)) {
            return Err(ArchiveError::WrongKey);
        }
    } else if !matches!(key, ArchiveKey::Raw(_)) {
        return Err(ArchiveError::WrongKey);
    }
    let derived = derive(key, &block.salt, params).map_err(|_| ArchiveError::WrongKey)?;
    let cipher = FrameCipher::new(&derived, block.nonce_base, archive_id);
    match cipher.open(KEY_CHECK_POSITION, &block.key_check) {
        Some(plain) if plain == [0u8; 32] => Ok(cipher),
        _ => Err(ArchiveError::WrongKey),
    }
}

/// Where an encrypted unit sits, bound into its associated data.
#[derive(Debug, Clone, Copy)]
pub(super) struct UnitPosition {
    pub counter: u64,
    pub entry: u32,
    pub frame: u32,
    pub last: bool,
    pub plain_len: u32,
}

pub(super) const KEY_CHECK_POSITION: UnitPosition = UnitPosition {
    counter: u64::MAX,
    entry: u32::MAX,
    frame: u32::MAX,
    last: true,
    plain_len: 32,
};

/// AES-256-GCM keyed for one archive.
pub(super) struct FrameCipher {
    cipher: Aes256Gcm,
    nonce_base: [u8; 12],
    archive_id: [u8; 16],
}

impl FrameCipher {
    pub(super) fn new(key: &[u8; 32], nonce_base: [u8; 12], archive_id: [u8; 16]) -> Self {
        FrameCipher {
            cipher: Aes256Gcm::new(key.into()),
            nonce_base,
            archive_id,
        }
    }

    fn nonce(&self, counter: u64) -> [u8; 12] {
        let mut nonce = self.nonce_base;
        for (byte, counter_byte) in nonce[4..].iter_mut().zip(counter.to_be_bytes()) {
            *byte ^= counter_byte;
        }
        nonce
    }

    fn aad(&self, at: UnitPosition) -> [u8; 29] {
        let mut aad = [0u8; 29];
        aad[..16].copy_from_slice(&self.archive_id);
        aad[16..20].copy_from_slice(&at.entry.to_le_bytes());
        aad[20..24].copy_from_slice(&at.frame.to_le_bytes());
        aad[24] = u8::from(at.last);
        aad[25..29].copy_from_slice(&at.plain_len.to_le_bytes());
        aad
    }

    pub(super) fn seal(&self, at: UnitPosition, plaintext: &[u8]) -> Result<Vec<u8>, ArchiveError> {
        let nonce = self.nonce(at.counter);
        let aad = self.aad(at);
        self.cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| ArchiveError::InvalidArgument("encryption failed".into()))
    }

    /// `None` when the tag does not verify.
    pub(super) fn open(&self, at: UnitPosition, ciphertext: &[u8]) -> Option<Vec<u8>> {
        let nonce = self.nonce(at.counter);
        let aad = self.aad(at);
        self.cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .ok()
    }
}

/// Random bytes from the platform (the browser's crypto.getRandomValues in wasm).
pub(super) fn random<const N: usize>() -> Result<[u8; N], ArchiveError> {
    let mut bytes = [0u8; N];
    getrandom_02::getrandom(&mut bytes).map_err(ArchiveError::RandomUnavailable)?;
    Ok(bytes)
}
