//! OpenMLS's `StorageProvider` on the SQL core. This file is a thin facade: it encodes keys and values with
//! the codec and delegates to one module per stored entity. It opens no transaction itself; the client API
//! wraps each MLS operation in one, so a failure leaves no half-written group.

mod epoch_key_pairs;
mod error;
pub(crate) mod group_data;
pub(crate) mod key_packages;
mod keyed;
mod own_leaf_nodes;
mod proposals;
mod rows;

use openmls_traits::storage::{traits, StorageProvider, CURRENT_VERSION};

pub use error::MlsStorageError;
use group_data::GroupDataType;
use keyed::{encryption_keys, psks, signature_keys};

use super::codec::{decode, encode};
use crate::sql::Connection;

/// OpenMLS storage on one connection (usually inside a transaction).
pub struct SqlStorage<'c> {
    conn: &'c Connection,
    clock: super::Clock,
}

impl<'c> SqlStorage<'c> {
    /// Storage on `conn`, stamping rows (a key package's use) with the platform's clock.
    pub fn new(conn: &'c Connection) -> Self {
        Self::with_clock(conn, crate::platform::now_ms)
    }

    /// Storage on `conn`, stamping rows with `clock`.
    pub fn with_clock(conn: &'c Connection, clock: super::Clock) -> Self {
        SqlStorage { conn, clock }
    }

    fn write_group_data<V: serde::Serialize>(
        &self,
        group_id: &impl traits::GroupId<CURRENT_VERSION>,
        data_type: GroupDataType,
        value: &V,
    ) -> Result<(), MlsStorageError> {
        let group_id = encode("group id", group_id)?;
        let value = encode("group data", value)?;
        group_data::write(self.conn, &group_id, data_type, &value)
    }

    fn read_group_data<V: serde::de::DeserializeOwned>(
        &self,
        group_id: &impl traits::GroupId<CURRENT_VERSION>,
        data_type: GroupDataType,
    ) -> Result<Option<V>, MlsStorageError> {
        let group_id = encode("group id", group_id)?;
        group_data::read(self.conn, &group_id, data_type)?
            .map(|bytes| decode("group data", &bytes))
            .transpose()
            .map_err(Into::into)
    }

    fn delete_group_data(
        &self,
        group_id: &impl traits::GroupId<CURRENT_VERSION>,
        data_type: GroupDataType,
    ) -> Result<(), MlsStorageError> {
        let group_id = encode("group id", group_id)?;
        group_data::delete(self.conn, &group_id, data_type)
    }
}

fn decode_opt<T: serde::de::DeserializeOwned>(
    what: &'static str,
    bytes: Option<Vec<u8>>,
) -> Result<Option<T>, MlsStorageError> {
    Ok(bytes.map(|b| decode(what, &b)).transpose()?)
}

/// Writes, reads and deletes of the per-group singletons, which differ only in their data type.
macro_rules! group_data_methods {
    ($($write:ident, $read:ident, $delete:ident, $trait_:ident, $data_type:ident;)*) => {$(
        fn $write<GroupId: traits::GroupId<CURRENT_VERSION>, Value: traits::$trait_<CURRENT_VERSION>>(
            &self,
            group_id: &GroupId,
            value: &Value,
        ) -> Result<(), Self::Error> {
            self.write_group_data(group_id, GroupDataType::$data_type, value)
        }

        fn $read<GroupId: traits::GroupId<CURRENT_VERSION>, Value: traits::$trait_<CURRENT_VERSION>>(
            &self,
            group_id: &GroupId,
        ) -> Result<Option<Value>, Self::Error> {
            self.read_group_data(group_id, GroupDataType::$data_type)
        }

        fn $delete<GroupId: traits::GroupId<CURRENT_VERSION>>(&self, group_id: &GroupId) -> Result<(), Self::Error> {
            self.delete_group_data(group_id, GroupDataType::$data_type)
        }
    )*};
}

impl StorageProvider<CURRENT_VERSION> for SqlStorage<'_> {
    type Error = MlsStorageError;

    group_data_methods! {
        write_tree, tree, delete_tree, TreeSync, Tree;
        write_interim_transcript_hash, interim_transcript_hash, delete_interim_transcript_hash,
            InterimTranscriptHash, InterimTranscriptHash;
        write_context, group_context, delete_context, GroupContext, Context;
        write_confirmation_tag, confirmation_tag, delete_confirmation_tag, ConfirmationTag, ConfirmationTag;
        write_message_secrets, message_secrets, delete_message_secrets, MessageSecrets, MessageSecrets;
        write_resumption_psk_store, resumption_psk_store, delete_all_resumption_psk_secrets,
            ResumptionPskStore, ResumptionPskStore;
        write_own_leaf_index, own_leaf_index, delete_own_leaf_index, LeafNodeIndex, OwnLeafIndex;
        write_group_epoch_secrets, group_epoch_secrets, delete_group_epoch_secrets,
            GroupEpochSecrets, GroupEpochSecrets;
    }

    // The three group-data kinds whose trait methods put the generic parameters in another order or
    // use other names.

    fn write_mls_join_config<
        GroupId: traits::GroupId<CURRENT_VERSION>,
        MlsGroupJoinConfig: traits::MlsGroupJoinConfig<CURRENT_VERSION>,
    >(
        &self,
        group_id: &GroupId,
        config: &MlsGroupJoinConfig,
    ) -> Result<(), Self::Error> {
        self.write_group_data(group_id, GroupDataType::JoinGroupConfig, config)
    }

    fn mls_group_join_config<
        GroupId: traits::GroupId<CURRENT_VERSION>,
        MlsGroupJoinConfig: traits::MlsGroupJoinConfig<CURRENT_VERSION>,
    >(
        &self,
        group_id: &GroupId,
    ) -> Result<Option<MlsGroupJoinConfig>, Self::Error> {
        self.read_group_data(group_id, GroupDataType::JoinGroupConfig)
    }

    fn delete_group_config<GroupId: traits::GroupId<CURRENT_VERSION>>(
        &self,
        group_id: &GroupId,
    ) -> Result<(), Self::Error> {
        self.delete_group_data(group_id, GroupDataType::JoinGroupConfig)
    }

    fn write_group_state<
        GroupState: traits::GroupState<CURRENT_VERSION>,
        GroupId: traits::GroupId<CURRENT_VERSION>,
    >(
        &self,
        group_id: &GroupId,
        group_state: &GroupState,
    ) -> Result<(), Self::Error> {
        self.write_group_data(group_id, GroupDataType::GroupState, group_state)
    }

    fn group_state<
        GroupState: traits::GroupState<CURRENT_VERSION>,
        GroupId: traits::GroupId<CURRENT_VERSION>,
    >(
        &self,
        group_id: &GroupId,
    ) -> Result<Option<GroupState>, Self::Error> {
        self.read_group_data(group_id, GroupDataType::GroupState)
    }

    fn delete_group_state<GroupId: traits::GroupId<CURRENT_VERSION>>(
        &self,
        group_id: &GroupId,
    ) -> Result<(), Self::Error> {
        self.delete_group_data(group_id, GroupDataType::GroupState)
    }

    // Own leaf nodes.

    fn append_own_leaf_node<
        GroupId: traits::GroupId<CURRENT_VERSION>,
        LeafNode: traits::LeafNode<CURRENT_VERSION>,
    >(
        &self,
        group_id: &GroupId,
        leaf_node: &LeafNode,
    ) -> Result<(), Self::Error> {
        own_leaf_nodes::append(
            self.conn,
            &encode("group id", group_id)?,
            &encode("leaf node", leaf_node)?,
        )
    }

    fn own_leaf_nodes<
        GroupId: traits::GroupId<CURRENT_VERSION>,
        LeafNode: traits::LeafNode<CURRENT_VERSION>,
    >(
        &self,
        group_id: &GroupId,
    ) -> Result<Vec<LeafNode>, Self::Error> {
        own_leaf_nodes::read_all(self.conn, &encode("group id", group_id)?)?
            .iter()
            .map(|bytes| Ok(decode("leaf node", bytes)?))
            .collect()
    }

    fn delete_own_leaf_nodes<GroupId: traits::GroupId<CURRENT_VERSION>>(
        &self,
        group_id: &GroupId,
    ) -> Result<(), Self::Error> {
        own_leaf_nodes::delete_all(self.conn, &encode("group id", group_id)?)
    }

    // Proposals.

    fn queue_proposal<
        GroupId: traits::GroupId<CURRENT_VERSION>,
        ProposalRef: traits::ProposalRef<CURRENT_VERSION>,
        QueuedProposal: traits::QueuedProposal<CURRENT_VERSION>,
    >(
        &self,
        group_id: &GroupId,
        proposal_ref: &ProposalRef,
        proposal: &QueuedProposal,
    ) -> Result<(), Self::Error> {
        proposals::queue(
            self.conn,
            &encode("group id", group_id)?,
            &encode("proposal ref", proposal_ref)?,
            &encode("proposal", proposal)?,
        )
    }

    fn queued_proposal_refs<
        GroupId: traits::GroupId<CURRENT_VERSION>,
        ProposalRef: traits::ProposalRef<CURRENT_VERSION>,
    >(
        &self,
        group_id: &GroupId,
    ) -> Result<Vec<ProposalRef>, Self::Error> {
        proposals::refs(self.conn, &encode("group id", group_id)?)?
            .iter()
            .map(|bytes| Ok(decode("proposal ref", bytes)?))
            .collect()
    }

    fn queued_proposals<
        GroupId: traits::GroupId<CURRENT_VERSION>,
        ProposalRef: traits::ProposalRef<CURRENT_VERSION>,
        QueuedProposal: traits::QueuedProposal<CURRENT_VERSION>,
    >(
        &self,
        group_id: &GroupId,
    ) -> Result<Vec<(ProposalRef, QueuedProposal)>, Self::Error> {
        proposals::read_all(self.conn, &encode("group id", group_id)?)?
            .iter()
            .map(|(proposal_ref, proposal)| {
                Ok((
                    decode("proposal ref", proposal_ref)?,
                    decode("proposal", proposal)?,
                ))
            })
            .collect()
    }

    fn remove_proposal<
        GroupId: traits::GroupId<CURRENT_VERSION>,
        ProposalRef: traits::ProposalRef<CURRENT_VERSION>,
    >(
        &self,
        group_id: &GroupId,
        proposal_ref: &ProposalRef,
    ) -> Result<(), Self::Error> {
        proposals::remove(
            self.conn,
            &encode("group id", group_id)?,
            &encode("proposal ref", proposal_ref)?,
        )
    }

    fn clear_proposal_queue<
        GroupId: traits::GroupId<CURRENT_VERSION>,
        ProposalRef: traits::ProposalRef<CURRENT_VERSION>,
    >(
        &self,
        group_id: &GroupId,
    ) -> Result<(), Self::Error> {
        proposals::clear(self.conn, &encode("group id", group_id)?)
    }

    // Crypto objects.

    fn write_signature_key_pair<
        SignaturePublicKey: traits::SignaturePublicKey<CURRENT_VERSION>,
        SignatureKeyPair: traits::SignatureKeyPair<CURRENT_VERSION>,
    >(
        &self,
        public_key: &SignaturePublicKey,
        signature_key_pair: &SignatureKeyPair,
    ) -> Result<(), Self::Error> {
        signature_keys::write(
            self.conn,
            &encode("signature public key", public_key)?,
            &encode("signature key pair", signature_key_pair)?,
        )
    }

    fn signature_key_pair<
        SignaturePublicKey: traits::SignaturePublicKey<CURRENT_VERSION>,
        SignatureKeyPair: traits::SignatureKeyPair<CURRENT_VERSION>,
    >(
        &self,
        public_key: &SignaturePublicKey,
    ) -> Result<Option<SignatureKeyPair>, Self::Error> {
        decode_opt(
            "signature key pair",
            signature_keys::read(self.conn, &encode("signature public key", public_key)?)?,
        )
    }

    fn delete_signature_key_pair<
        SignaturePublicKey: traits::SignaturePublicKey<CURRENT_VERSION>,
    >(
        &self,
        public_key: &SignaturePublicKey,
    ) -> Result<(), Self::Error> {
        signature_keys::delete(self.conn, &encode("signature public key", public_key)?)
    }

    fn write_encryption_key_pair<
        EncryptionKey: traits::EncryptionKey<CURRENT_VERSION>,
        HpkeKeyPair: traits::HpkeKeyPair<CURRENT_VERSION>,
    >(
        &self,
        public_key: &EncryptionKey,
        key_pair: &HpkeKeyPair,
    ) -> Result<(), Self::Error> {
        encryption_keys::write(
            self.conn,
            &encode("encryption key", public_key)?,
            &encode("HPKE key pair", key_pair)?,
        )
    }

    fn encryption_key_pair<
        HpkeKeyPair: traits::HpkeKeyPair<CURRENT_VERSION>,
        EncryptionKey: traits::EncryptionKey<CURRENT_VERSION>,
    >(
        &self,
        public_key: &EncryptionKey,
    ) -> Result<Option<HpkeKeyPair>, Self::Error> {
        decode_opt(
            "HPKE key pair",
            encryption_keys::read(self.conn, &encode("encryption key", public_key)?)?,
        )
    }

    fn delete_encryption_key_pair<EncryptionKey: traits::EncryptionKey<CURRENT_VERSION>>(
        &self,
        public_key: &EncryptionKey,
    ) -> Result<(), Self::Error> {
        encryption_keys::delete(self.conn, &encode("encryption key", public_key)?)
    }

    fn write_encryption_epoch_key_pairs<
        GroupId: traits::GroupId<CURRENT_VERSION>,
        EpochKey: traits::EpochKey<CURRENT_VERSION>,
        HpkeKeyPair: traits::HpkeKeyPair<CURRENT_VERSION>,
    >(
        &self,
        group_id: &GroupId,
        epoch: &EpochKey,
        leaf_index: u32,
        key_pairs: &[HpkeKeyPair],
    ) -> Result<(), Self::Error> {
        epoch_key_pairs::write(
            self.conn,
            &encode("group id", group_id)?,
            &encode("epoch", epoch)?,
            leaf_index,
            &encode("epoch key pairs", key_pairs)?,
        )
    }

    fn encryption_epoch_key_pairs<
        GroupId: traits::GroupId<CURRENT_VERSION>,
        EpochKey: traits::EpochKey<CURRENT_VERSION>,
        HpkeKeyPair: traits::HpkeKeyPair<CURRENT_VERSION>,
    >(
        &self,
        group_id: &GroupId,
        epoch: &EpochKey,
        leaf_index: u32,
    ) -> Result<Vec<HpkeKeyPair>, Self::Error> {
        let stored = epoch_key_pairs::read(
            self.conn,
            &encode("group id", group_id)?,
            &encode("epoch", epoch)?,
            leaf_index,
        )?;
        Ok(decode_opt("epoch key pairs", stored)?.unwrap_or_default())
    }

    fn delete_encryption_epoch_key_pairs<
        GroupId: traits::GroupId<CURRENT_VERSION>,
        EpochKey: traits::EpochKey<CURRENT_VERSION>,
    >(
        &self,
        group_id: &GroupId,
        epoch: &EpochKey,
        leaf_index: u32,
    ) -> Result<(), Self::Error> {
        epoch_key_pairs::delete(
            self.conn,
            &encode("group id", group_id)?,
            &encode("epoch", epoch)?,
            leaf_index,
        )
    }

    fn write_key_package<
        HashReference: traits::HashReference<CURRENT_VERSION>,
        KeyPackage: traits::KeyPackage<CURRENT_VERSION>,
    >(
        &self,
        hash_ref: &HashReference,
        key_package: &KeyPackage,
    ) -> Result<(), Self::Error> {
        key_packages::write(
            self.conn,
            &encode("key package ref", hash_ref)?,
            &encode("key package", key_package)?,
        )
    }

    fn key_package<
        KeyPackageRef: traits::HashReference<CURRENT_VERSION>,
        KeyPackage: traits::KeyPackage<CURRENT_VERSION>,
    >(
        &self,
        hash_ref: &KeyPackageRef,
    ) -> Result<Option<KeyPackage>, Self::Error> {
        decode_opt(
            "key package",
            key_packages::read(self.conn, &encode("key package ref", hash_ref)?)?,
        )
    }

    fn delete_key_package<KeyPackageRef: traits::HashReference<CURRENT_VERSION>>(
        &self,
        hash_ref: &KeyPackageRef,
    ) -> Result<(), Self::Error> {
        key_packages::mark_used(
            self.conn,
            &encode("key package ref", hash_ref)?,
            (self.clock)(),
        )
    }

    fn write_psk<
        PskId: traits::PskId<CURRENT_VERSION>,
        PskBundle: traits::PskBundle<CURRENT_VERSION>,
    >(
        &self,
        psk_id: &PskId,
        psk: &PskBundle,
    ) -> Result<(), Self::Error> {
        psks::write(
            self.conn,
            &encode("PSK id", psk_id)?,
            &encode("PSK bundle", psk)?,
        )
    }

    fn psk<PskBundle: traits::PskBundle<CURRENT_VERSION>, PskId: traits::PskId<CURRENT_VERSION>>(
        &self,
        psk_id: &PskId,
    ) -> Result<Option<PskBundle>, Self::Error> {
        decode_opt(
            "PSK bundle",
            psks::read(self.conn, &encode("PSK id", psk_id)?)?,
        )
    }

    fn delete_psk<PskKey: traits::PskId<CURRENT_VERSION>>(
        &self,
        psk_id: &PskKey,
    ) -> Result<(), Self::Error> {
        psks::delete(self.conn, &encode("PSK id", psk_id)?)
    }
}
