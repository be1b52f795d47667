//! The MLS client API: identities, key packages, groups, messages. Each method is one SQL transaction
//! around one OpenMLS operation, so a failure or a crash leaves the store as it was before the call.
//!
//! One identity per store: apps with several identities open one store per identity, which keeps every key
//! of one identity out of reach of the others.

use openmls::prelude::tls_codec::{Deserialize as _, Serialize as _};
use openmls::prelude::*;
use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::crypto::{IdentityKeys, StoreCrypto};
use super::error::MlsError;
use super::provider::MlsProvider;
use super::storage::{key_packages, SqlStorage};
use crate::sql::Connection;

/// The ciphersuite of every group and key package this client makes.
pub const CIPHERSUITE: Ciphersuite = Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

#[derive(Serialize, Deserialize)]
struct StoredIdentity {
    identity: Vec<u8>,
    signature_public_key: Vec<u8>,
}

/// The store's MLS identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityInfo {
    /// The application's identity bytes in the basic credential (a user id, for example).
    pub identity: Vec<u8>,
    pub signature_public_key: Vec<u8>,
}

/// A key package to publish, and its reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedKeyPackage {
    /// TLS-encoded `MlsMessage` carrying the key package.
    pub key_package: Vec<u8>,
    /// The key package reference (hash), which a welcome names.
    pub hash_ref: Vec<u8>,
}

/// What the store knows of a key package it generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPackageState {
    pub used: bool,
    pub last_resort: bool,
}

/// The messages a commit that adds members produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddMembersOutput {
    /// TLS-encoded commit for the current members.
    pub commit: Vec<u8>,
    /// TLS-encoded welcome for the new members.
    pub welcome: Vec<u8>,
}

/// The result of processing an incoming message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// An application message: its plaintext and the sender's identity.
    Application { plaintext: Vec<u8>, sender: Vec<u8> },
    /// A commit, merged: the group is at `epoch` now. `still_member` is false when it removed us.
    Commit { epoch: u64, still_member: bool },
    /// A proposal, stored in the group's queue until a commit covers it.
    Proposal,
    /// A message this client sent, echoed back by the delivery service; nothing to do.
    Own,
}

/// The MLS client of one store. Cheap to make: it borrows the connection and the group cache, and holds the
/// crypto provider.
pub struct MlsClient<'s> {
    conn: &'s Connection,
    groups: &'s super::GroupCache,
    clock: super::Clock,
    crypto: StoreCrypto,
}

pub(super) struct Identity {
    pub(super) signer: IdentityKeys,
    pub(super) credential: CredentialWithKey,
}

impl<'s> MlsClient<'s> {
    /// The client on `conn` (a database with the MLS schema), loading groups through `groups`.
    pub fn new(conn: &'s Connection, groups: &'s super::GroupCache, clock: super::Clock) -> Self {
        MlsClient {
            conn,
            groups,
            clock,
            crypto: StoreCrypto::default(),
        }
    }

    pub(crate) fn groups(&self) -> &'s super::GroupCache {
        self.groups
    }

    pub(crate) fn conn(&self) -> &'s Connection {
        self.conn
    }

    /// A provider for an operation on `conn` (the caller's open transaction).
    pub(crate) fn provider_on<'c>(&'c self, conn: &'c Connection) -> MlsProvider<'c> {
        MlsProvider::new(&self.crypto, conn, self.clock)
    }

    /// Runs `f` in one transaction with a provider on it; commits only when `f` succeeds.
    pub(crate) fn in_transaction<T>(
        &self,
        f: impl FnOnce(&MlsProvider<'_>) -> Result<T, MlsError>,
    ) -> Result<T, MlsError> {
        let tx = self.conn().transaction()?;
        let provider = MlsProvider::new(&self.crypto, &tx, self.clock);
        let out = f(&provider)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` on the group in one transaction. The group comes from the store's cache when it is there and
    /// goes back only after the commit: on any error it is dropped and reloaded next time.
    pub(crate) fn in_group_transaction<T>(
        &self,
        group_id: &[u8],
        f: impl FnOnce(&MlsProvider<'_>, &mut MlsGroup) -> Result<T, MlsError>,
    ) -> Result<T, MlsError> {
        let cache = self.groups();
        let tx = self.conn().transaction()?;
        let provider = MlsProvider::new(&self.crypto, &tx, self.clock);
        let mut group = match cache.take(group_id) {
            Some(group) => group,
            None => Self::load_group(&provider, group_id)?,
        };
        let out = f(&provider, &mut group)?;
        tx.commit()?;
        cache.put(group_id.to_vec(), group);
        Ok(out)
    }

    /// Reads from the group without changing it.
    pub(super) fn read_group<T>(
        &self,
        group_id: &[u8],
        f: impl FnOnce(&MlsGroup) -> T,
    ) -> Result<T, MlsError> {
        let cache = self.groups();
        let group = match cache.take(group_id) {
            Some(group) => group,
            None => Self::load_group(
                &MlsProvider::new(&self.crypto, self.conn(), self.clock),
                group_id,
            )?,
        };
        let out = f(&group);
        cache.put(group_id.to_vec(), group);
        Ok(out)
    }

    fn stored_identity(conn: &Connection) -> Result<Option<StoredIdentity>, MlsError> {
        let bytes: Option<Vec<u8>> = conn.query_optional(
            "SELECT value FROM mls_own_identity WHERE slot = 0",
            &[],
            |row| row.get(0),
        )?;
        Ok(bytes
            .map(|b| decode("identity", &b))
            .transpose()
            .map_err(super::MlsStorageError::from)?)
    }

    pub(super) fn identity(
        provider: &MlsProvider<'_>,
        conn: &Connection,
    ) -> Result<Identity, MlsError> {
        let stored = Self::stored_identity(conn)?.ok_or(MlsError::NoIdentity)?;
        let signer = IdentityKeys::read(provider.storage(), &stored.signature_public_key)
            .ok_or(MlsError::NoIdentity)?;
        let credential = CredentialWithKey {
            credential: BasicCredential::new(stored.identity).into(),
            signature_key: stored.signature_public_key.into(),
        };
        Ok(Identity { signer, credential })
    }

    /// Creates this store's identity: a basic credential for `identity` and a new signature key pair.
    ///
    /// # Errors
    /// [`MlsError::IdentityExists`] when the store has one.
    pub fn create_identity(&self, identity: &[u8]) -> Result<IdentityInfo, MlsError> {
        let conn = self.conn();
        self.in_transaction(|provider| {
            if Self::stored_identity(conn)?.is_some() {
                return Err(MlsError::IdentityExists);
            }
            let signer = IdentityKeys::generate(provider.crypto())
                .map_err(|e| MlsError::protocol("create signature key", e))?;
            signer.store(provider.storage())?;
            let stored = StoredIdentity {
                identity: identity.to_vec(),
                signature_public_key: signer.public().to_vec(),
            };
            conn.execute(
                "INSERT INTO mls_own_identity (slot, value, created_at_ms) VALUES (0, ?1, ?2)",
                &[
                    &encode("identity", &stored).map_err(super::MlsStorageError::from)?,
                    &(self.clock)(),
                ],
            )?;
            Ok(IdentityInfo {
                identity: stored.identity,
                signature_public_key: stored.signature_public_key,
            })
        })
    }

    /// The store's identity, if it has one.
    ///
    /// # Errors
    /// Storage fails.
    pub fn identity_info(&self) -> Result<Option<IdentityInfo>, MlsError> {
        Ok(Self::stored_identity(self.conn())?.map(|s| IdentityInfo {
            identity: s.identity,
            signature_public_key: s.signature_public_key,
        }))
    }

    /// Generates `count` key packages to publish; `last_resort` ones survive being used.
    ///
    /// # Errors
    /// No identity, or OpenMLS or storage fails (then none is kept).
    pub fn generate_key_packages(
        &self,
        count: u32,
        last_resort: bool,
    ) -> Result<Vec<GeneratedKeyPackage>, MlsError> {
        let conn = self.conn();
        self.in_transaction(|provider| {
            let identity = Self::identity(provider, conn)?;
            (0..count)
                .map(|_| {
                    let mut builder = KeyPackage::builder();
                    if last_resort {
                        // Receivers check that the leaf announces every key package extension it carries.
                        builder = builder.mark_as_last_resort().leaf_node_capabilities(
                            Capabilities::builder()
                                .extensions(vec![ExtensionType::LastResort])
                                .build(),
                        );
                    }
                    let bundle = builder
                        .build(
                            CIPHERSUITE,
                            provider,
                            &identity.signer,
                            identity.credential.clone(),
                        )
                        .map_err(|e| MlsError::protocol("generate key package", e))?;
                    let hash_ref = bundle
                        .key_package()
                        .hash_ref(provider.crypto())
                        .map_err(|e| MlsError::protocol("hash key package", e))?;
                    if last_resort {
                        let key = encode("key package ref", &hash_ref)
                            .map_err(super::MlsStorageError::from)?;
                        key_packages::mark_last_resort(conn, &key)?;
                    }
                    let key_package = MlsMessageOut::from(bundle.key_package().clone())
                        .tls_serialize_detached()
                        .map_err(|e| MlsError::protocol("encode key package", e))?;
                    Ok(GeneratedKeyPackage {
                        key_package,
                        hash_ref: hash_ref.as_slice().to_vec(),
                    })
                })
                .collect()
        })
    }

    /// The state of a key package this store generated (given as the bytes it published).
    ///
    /// # Errors
    /// The bytes are not a key package, or storage fails.
    pub fn key_package_state(
        &self,
        key_package: &[u8],
    ) -> Result<Option<KeyPackageState>, MlsError> {
        let provider = MlsProvider::new(&self.crypto, self.conn(), self.clock);
        let hash_ref = parse_key_package(&provider, key_package)?
            .hash_ref(provider.crypto())
            .map_err(|e| MlsError::protocol("hash key package", e))?;
        let key = encode("key package ref", &hash_ref).map_err(super::MlsStorageError::from)?;
        Ok(key_packages::state(self.conn(), &key)?
            .map(|(used, last_resort)| KeyPackageState { used, last_resort }))
    }

    /// How many ordinary (not last-resort) key packages are still unused, and how many were used: publish
    /// more when the first runs low.
    ///
    /// # Errors
    /// Storage fails.
    pub fn key_package_counts(&self) -> Result<(u32, u32), MlsError> {
        Ok(key_packages::counts(self.conn())?)
    }

    /// A storage provider on this store's connection, outside any transaction (for inspection and tests).
    pub fn storage(&self) -> SqlStorage<'s> {
        SqlStorage::with_clock(self.conn(), self.clock)
    }
}

pub(super) fn parse_key_package(
    provider: &MlsProvider<'_>,
    bytes: &[u8],
) -> Result<KeyPackage, MlsError> {
    let message = MlsMessageIn::tls_deserialize_exact(bytes)
        .map_err(|e| MlsError::invalid("key package", e))?;
    match message.extract() {
        MlsMessageBodyIn::KeyPackage(key_package) => key_package
            .validate(provider.crypto(), ProtocolVersion::Mls10)
            .map_err(|e| MlsError::invalid("key package", e)),
        _ => Err(MlsError::invalid(
            "key package",
            "the message carries no key package",
        )),
    }
}

pub(super) fn serialize(message: &MlsMessageOut) -> Result<Vec<u8>, MlsError> {
    message
        .tls_serialize_detached()
        .map_err(|e| MlsError::protocol("encode message", e))
}

pub(super) fn member_identity(member: &Member) -> Option<Vec<u8>> {
    BasicCredential::try_from(member.credential.clone())
        .ok()
        .map(|c| c.identity().to_vec())
}
