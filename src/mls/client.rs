//! The MLS client API: identities, key packages, groups, messages. Each method is one SQL transaction
//! around one OpenMLS operation, so a failure or a crash leaves the store as it was before the call.
//!
//! One identity per store: apps with several identities open one store per identity, which keeps every key
//! of one identity out of reach of the others.

use openmls::prelude::tls_codec::{Deserialize as _, Serialize as _};
use openmls::prelude::*;
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::RustCrypto;
use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::error::MlsError;
use super::provider::MlsProvider;
use super::storage::{group_data, key_packages, SqlStorage};
use crate::hex::hex;
use crate::sql::Connection;
use crate::store::Store;

/// The ciphersuite of every group and key package this client makes.
pub const CIPHERSUITE: Ciphersuite = Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

const IDENTITY_NAMESPACE: &str = "mls";
const IDENTITY_KEY: &str = "identity";

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

/// The MLS client of one store. Cheap to make: it holds only the crypto provider.
pub struct MlsClient<'s> {
    store: &'s Store,
    crypto: RustCrypto,
}

impl Store {
    /// The MLS client API on this store.
    pub fn mls(&self) -> MlsClient<'_> {
        MlsClient {
            store: self,
            crypto: RustCrypto::default(),
        }
    }
}

struct Identity {
    signer: SignatureKeyPair,
    credential: CredentialWithKey,
}

impl<'s> MlsClient<'s> {
    pub(crate) fn groups(&self) -> &'s super::GroupCache {
        self.store.mls_groups()
    }

    pub(crate) fn conn(&self) -> &'s Connection {
        self.store.connection()
    }

    /// Runs `f` in one transaction with a provider on it; commits only when `f` succeeds.
    pub(crate) fn in_transaction<T>(
        &self,
        f: impl FnOnce(&MlsProvider<'_>) -> Result<T, MlsError>,
    ) -> Result<T, MlsError> {
        let tx = self.conn().transaction()?;
        let provider = MlsProvider::new(&self.crypto, &tx);
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
        let provider = MlsProvider::new(&self.crypto, &tx);
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
    fn read_group<T>(
        &self,
        group_id: &[u8],
        f: impl FnOnce(&MlsGroup) -> T,
    ) -> Result<T, MlsError> {
        let cache = self.groups();
        let group = match cache.take(group_id) {
            Some(group) => group,
            None => Self::load_group(&MlsProvider::new(&self.crypto, self.conn()), group_id)?,
        };
        let out = f(&group);
        cache.put(group_id.to_vec(), group);
        Ok(out)
    }

    fn stored_identity(conn: &Connection) -> Result<Option<StoredIdentity>, MlsError> {
        let bytes: Option<Vec<u8>> = conn.query_optional(
            "SELECT value FROM kv_entries WHERE namespace = ?1 AND entry_key = ?2",
            &[&IDENTITY_NAMESPACE, &IDENTITY_KEY],
            |row| row.get(0),
        )?;
        Ok(bytes
            .map(|b| decode("identity", &b))
            .transpose()
            .map_err(super::MlsStorageError::from)?)
    }

    fn identity(provider: &MlsProvider<'_>, conn: &Connection) -> Result<Identity, MlsError> {
        let stored = Self::stored_identity(conn)?.ok_or(MlsError::NoIdentity)?;
        let signer = SignatureKeyPair::read(
            provider.storage(),
            &stored.signature_public_key,
            CIPHERSUITE.signature_algorithm(),
        )
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
            let signer = SignatureKeyPair::new(CIPHERSUITE.signature_algorithm())
                .map_err(|e| MlsError::protocol("create signature key", e))?;
            signer.store(provider.storage())?;
            let stored = StoredIdentity {
                identity: identity.to_vec(),
                signature_public_key: signer.to_public_vec(),
            };
            conn.execute(
                "INSERT INTO kv_entries (namespace, entry_key, value, updated_at_ms) VALUES (?1, ?2, ?3, ?4)",
                &[
                    &IDENTITY_NAMESPACE,
                    &IDENTITY_KEY,
                    &encode("identity", &stored).map_err(super::MlsStorageError::from)?,
                    &crate::platform::now_ms(),
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
        let provider = MlsProvider::new(&self.crypto, self.conn());
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

    /// Creates a group with this identity as its only member. Returns the group id.
    ///
    /// # Errors
    /// No identity, or OpenMLS or storage fails.
    pub fn create_group(&self, group_id: Option<&[u8]>) -> Result<Vec<u8>, MlsError> {
        let conn = self.conn();
        self.in_transaction(|provider| {
            let identity = Self::identity(provider, conn)?;
            let config = MlsGroupCreateConfig::builder()
                .ciphersuite(CIPHERSUITE)
                .use_ratchet_tree_extension(true)
                .build();
            let group = match group_id {
                Some(id) => MlsGroup::new_with_group_id(
                    provider,
                    &identity.signer,
                    &config,
                    GroupId::from_slice(id),
                    identity.credential,
                ),
                None => MlsGroup::new(provider, &identity.signer, &config, identity.credential),
            }
            .map_err(|e| MlsError::protocol("create group", e))?;
            Ok(group.group_id().as_slice().to_vec())
        })
    }

    pub(crate) fn load_group(
        provider: &MlsProvider<'_>,
        group_id: &[u8],
    ) -> Result<MlsGroup, MlsError> {
        MlsGroup::load(provider.storage(), &GroupId::from_slice(group_id))?
            .ok_or_else(|| MlsError::GroupNotFound(hex(group_id)))
    }

    /// Commits adding the members whose key packages (TLS `MlsMessage` bytes) are given. The commit is
    /// pending until [`MlsClient::merge_pending_commit`] (after the delivery service accepted it).
    ///
    /// # Errors
    /// A key package is invalid, the group is unknown, or OpenMLS fails.
    pub fn add_members(
        &self,
        group_id: &[u8],
        key_packages: &[Vec<u8>],
    ) -> Result<AddMembersOutput, MlsError> {
        let conn = self.conn();
        self.in_group_transaction(group_id, |provider, group| {
            let identity = Self::identity(provider, conn)?;
            let key_packages = key_packages
                .iter()
                .map(|bytes| parse_key_package(provider, bytes))
                .collect::<Result<Vec<_>, _>>()?;
            let (commit, welcome, _group_info) = group
                .add_members(provider, &identity.signer, &key_packages)
                .map_err(|e| MlsError::protocol("add members", e))?;
            Ok(AddMembersOutput {
                commit: serialize(&commit)?,
                welcome: serialize(&welcome)?,
            })
        })
    }

    /// Commits removing the members with these credential identities. Returns the commit; it is pending
    /// until merged.
    ///
    /// # Errors
    /// An identity is not a member, the group is unknown, or OpenMLS fails.
    pub fn remove_members(
        &self,
        group_id: &[u8],
        identities: &[Vec<u8>],
    ) -> Result<Vec<u8>, MlsError> {
        let conn = self.conn();
        self.in_group_transaction(group_id, |provider, group| {
            let identity = Self::identity(provider, conn)?;
            let indices = identities
                .iter()
                .map(|wanted| {
                    group
                        .members()
                        .find(|m| member_identity(m).as_deref() == Some(wanted.as_slice()))
                        .map(|m| m.index)
                        .ok_or_else(|| {
                            MlsError::MemberNotFound(String::from_utf8_lossy(wanted).into_owned())
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let (commit, _welcome, _group_info) = group
                .remove_members(provider, &identity.signer, &indices)
                .map_err(|e| MlsError::protocol("remove members", e))?;
            serialize(&commit)
        })
    }

    /// Applies this client's pending commit: the group moves to the next epoch.
    ///
    /// # Errors
    /// The group is unknown or OpenMLS fails.
    pub fn merge_pending_commit(&self, group_id: &[u8]) -> Result<u64, MlsError> {
        self.in_group_transaction(group_id, |provider, group| {
            group
                .merge_pending_commit(provider)
                .map_err(|e| MlsError::protocol("merge pending commit", e))?;
            Ok(group.epoch().as_u64())
        })
    }

    /// Discards this client's pending commit (the delivery service rejected it).
    ///
    /// # Errors
    /// The group is unknown or storage fails.
    pub fn clear_pending_commit(&self, group_id: &[u8]) -> Result<(), MlsError> {
        self.in_group_transaction(group_id, |provider, group| {
            group.clear_pending_commit(provider.storage())?;
            Ok(())
        })
    }

    /// Encrypts an application message for the group.
    ///
    /// # Errors
    /// The group is unknown, has a pending commit, or OpenMLS fails.
    pub fn encrypt(&self, group_id: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, MlsError> {
        let conn = self.conn();
        self.in_group_transaction(group_id, |provider, group| {
            let identity = Self::identity(provider, conn)?;
            let message = group
                .create_message(provider, &identity.signer, plaintext)
                .map_err(|e| MlsError::protocol("encrypt", e))?;
            serialize(&message)
        })
    }

    /// Processes an incoming message for the group: decrypts application messages, merges commits, queues
    /// proposals.
    ///
    /// # Errors
    /// The bytes are not an MLS message for this group, or OpenMLS rejects it (nothing is stored then).
    pub fn process_message(&self, group_id: &[u8], message: &[u8]) -> Result<Incoming, MlsError> {
        let message = MlsMessageIn::tls_deserialize_exact(message)
            .map_err(|e| MlsError::invalid("MLS message", e))?
            .try_into_protocol_message()
            .map_err(|e| MlsError::invalid("protocol message", e))?;
        self.in_group_transaction(group_id, |provider, group| {
            let processed = group
                .process_message(provider, message)
                .map_err(|e| MlsError::protocol("process message", e))?;
            let sender = BasicCredential::try_from(processed.credential().clone())
                .map(|c| c.identity().to_vec())
                .unwrap_or_default();
            match processed.into_content() {
                ProcessedMessageContent::ApplicationMessage(message) => Ok(Incoming::Application {
                    plaintext: message.into_bytes(),
                    sender,
                }),
                ProcessedMessageContent::StagedCommitMessage(staged) => {
                    group
                        .merge_staged_commit(provider, *staged)
                        .map_err(|e| MlsError::protocol("merge commit", e))?;
                    Ok(Incoming::Commit {
                        epoch: group.epoch().as_u64(),
                        still_member: group.is_active(),
                    })
                }
                ProcessedMessageContent::ProposalMessage(proposal) => {
                    group.store_pending_proposal(provider.storage(), *proposal)?;
                    Ok(Incoming::Proposal)
                }
                ProcessedMessageContent::ExternalJoinProposalMessage(proposal) => {
                    group.store_pending_proposal(provider.storage(), *proposal)?;
                    Ok(Incoming::Proposal)
                }
                ProcessedMessageContent::OwnPendingCommit
                | ProcessedMessageContent::OwnPrivateMessage => Ok(Incoming::Own),
            }
        })
    }

    /// Ids of the groups in the store.
    ///
    /// # Errors
    /// Storage fails or a stored id does not decode.
    pub fn list_groups(&self) -> Result<Vec<Vec<u8>>, MlsError> {
        group_data::group_ids(self.conn())?
            .iter()
            .map(|bytes| {
                let id: GroupId =
                    decode("group id", bytes).map_err(super::MlsStorageError::from)?;
                Ok(id.as_slice().to_vec())
            })
            .collect()
    }

    /// The group's current epoch.
    ///
    /// # Errors
    /// The group is unknown or storage fails.
    pub fn group_epoch(&self, group_id: &[u8]) -> Result<u64, MlsError> {
        self.read_group(group_id, |group| group.epoch().as_u64())
    }

    /// Credential identities of the group's members, in leaf order.
    ///
    /// # Errors
    /// The group is unknown or storage fails.
    pub fn members(&self, group_id: &[u8]) -> Result<Vec<Vec<u8>>, MlsError> {
        self.read_group(group_id, |group| {
            group
                .members()
                .filter_map(|m| member_identity(&m))
                .collect()
        })
    }

    /// Deletes every row of the group's state, epoch key pairs included (forward secrecy).
    ///
    /// # Errors
    /// The group is unknown or storage fails.
    pub fn delete_group(&self, group_id: &[u8]) -> Result<(), MlsError> {
        let conn = self.conn();
        self.groups().take(group_id);
        self.in_transaction(|provider| {
            let mut group = Self::load_group(provider, group_id)?;
            group.delete(provider.storage())?;
            let key = encode("group id", group.group_id()).map_err(super::MlsStorageError::from)?;
            conn.execute(
                "DELETE FROM mls_epoch_key_pairs WHERE group_id = ?1",
                &[&key],
            )?;
            Ok(())
        })
    }

    /// A storage provider on this store's connection, outside any transaction (for inspection and tests).
    pub fn storage(&self) -> SqlStorage<'s> {
        SqlStorage::new(self.conn())
    }
}

fn parse_key_package(provider: &MlsProvider<'_>, bytes: &[u8]) -> Result<KeyPackage, MlsError> {
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

fn serialize(message: &MlsMessageOut) -> Result<Vec<u8>, MlsError> {
    message
        .tls_serialize_detached()
        .map_err(|e| MlsError::protocol("encode message", e))
}

fn member_identity(member: &Member) -> Option<Vec<u8>> {
    BasicCredential::try_from(member.credential.clone())
        .ok()
        .map(|c| c.identity().to_vec())
}
