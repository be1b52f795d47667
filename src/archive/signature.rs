//! What a signature signs and how a reader checks it: version 2 signs every byte before the signature
//! (header, key block, directory with each entry's BLAKE3 digest, end record); version 1 signed only the
//! directory and end record, so it never satisfies a signer requirement.

use ed25519_dalek::{Signature, VerifyingKey};

use super::format::{Header, SIGNATURE_CONTEXT_V2, VERSION_1};
use super::ArchiveError;

/// What a version 2 signature signs: every byte of the archive before the signature, with the entries'
/// data standing in through the BLAKE3 digests in the directory.
pub(super) fn signed_message_v2(preamble: &[u8], directory: &[u8], end: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(
        SIGNATURE_CONTEXT_V2.len() + preamble.len() + directory.len() + end.len(),
    );
    message.extend_from_slice(SIGNATURE_CONTEXT_V2);
    message.extend_from_slice(preamble);
    message.extend_from_slice(directory);
    message.extend_from_slice(end);
    message
}

/// Fails unless the archive carries a signature that can satisfy a signer requirement.
pub(super) fn require_signature(header: &Header) -> Result<(), ArchiveError> {
    if !header.signed() {
        return Err(ArchiveError::SignatureRequired("the archive is not signed"));
    }
    if header.version == VERSION_1 {
        return Err(ArchiveError::SignatureRequired(
            "a version 1 signature does not cover the entries' contents",
        ));
    }
    Ok(())
}

/// Verifies the 96-byte signature block `tail` (public key, signature); returns the public key.
pub(super) fn verify(
    header: &Header,
    preamble: &[u8],
    directory: &[u8],
    end: &[u8],
    tail: &[u8],
) -> Result<[u8; 32], ArchiveError> {
    let public: [u8; 32] = tail
        .get(..32)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(ArchiveError::Truncated("signature"))?;
    let signature: [u8; 64] = tail
        .get(32..96)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(ArchiveError::Truncated("signature"))?;
    let verifying = VerifyingKey::from_bytes(&public).map_err(|_| ArchiveError::BadSignature)?;
    let signature = Signature::from_bytes(&signature);
    // Strict RFC 8032 verification: no malleable signatures, no small-order keys. Version 1 signatures were
    // made by the same library, which only makes strict ones.
    let signed = if header.version == VERSION_1 {
        [directory, end].concat()
    } else {
        signed_message_v2(preamble, directory, end)
    };
    let verified = verifying.verify_strict(&signed, &signature);
    verified.map_err(|_| ArchiveError::BadSignature)?;
    Ok(public)
}
