//! Group operations of the MLS client: create, add and remove members, merge or clear the pending commit,
//! encrypt, process incoming messages, list, inspect and delete groups. Each is one SQL transaction.

use openmls::prelude::tls_codec::Deserialize as _;
use openmls::prelude::*;

use super::client::{
    member_identity, parse_key_package, serialize, AddMembersOutput, Incoming, MlsClient,
    CIPHERSUITE,
};
use super::codec::{decode, encode};
use super::error::MlsError;
use super::provider::MlsProvider;
use super::storage::group_data;
use crate::hex::hex;

impl MlsClient<'_> {
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
        let message = parse_protocol_message(message)?;
        self.in_group_transaction(group_id, |provider, group| {
            process_in(provider, group, message)
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
}

/// Decodes the bytes of an incoming MLS message.
pub(crate) fn parse_protocol_message(bytes: &[u8]) -> Result<ProtocolMessage, MlsError> {
    MlsMessageIn::tls_deserialize_exact(bytes)
        .map_err(|e| MlsError::invalid("MLS message", e))?
        .try_into_protocol_message()
        .map_err(|e| MlsError::invalid("protocol message", e))
}

/// Processes one incoming message on a loaded group, inside the caller's transaction. A storage failure
/// inside OpenMLS comes back as [`MlsError::Storage`], every other refusal as a protocol error: callers that
/// go on after a refused message tell the two apart.
pub(crate) fn process_in(
    provider: &MlsProvider<'_>,
    group: &mut MlsGroup,
    message: ProtocolMessage,
) -> Result<Incoming, MlsError> {
    let processed = group
        .process_message(provider, message)
        .map_err(|e| match e {
            ProcessMessageError::StorageError(source) => MlsError::Storage(source),
            other => MlsError::protocol("process message", other),
        })?;
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
                .map_err(|e| match e {
                    MergeCommitError::StorageError(source) => MlsError::Storage(source),
                    other => MlsError::protocol("merge commit", other),
                })?;
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
        ProcessedMessageContent::OwnPendingCommit | ProcessedMessageContent::OwnPrivateMessage => {
            Ok(Incoming::Own)
        }
    }
}
