//! The MLS client API for JavaScript: `mls*` methods on `Store`. Bytes cross as `Uint8Array`, results as
//! plain objects; every method resolves after its one SQL transaction has committed.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use super::changes::Change;
use super::convert::{byte_arrays, byte_list, bytes};
use super::results::{
    list, MlsAddMembersResultJs, MlsIdentityJs, MlsIncomingJs, MlsKeyPackageCountsJs,
    MlsKeyPackageJs, MlsKeyPackageStateJs,
};
use super::shape::{JsType, Uint, Welcome};
use super::JsStore;
use crate::mls::{Incoming, WelcomeConfig};
use crate::platform::now_ms;
use crate::store::StoreError;

/// `{ gracePeriodMs }` from an optional options object; the default grace period when absent.
fn welcome_config(options: &JsValue) -> Result<WelcomeConfig, StoreError> {
    let mut config = WelcomeConfig::default();
    if options.is_undefined() || options.is_null() {
        return Ok(config);
    }
    let grace = js_sys::Reflect::get(options, &JsValue::from_str("gracePeriodMs"))
        .map_err(|_| StoreError::InvalidArgument("options must be an object"))?;
    if !grace.is_undefined() {
        let grace = grace
            .as_f64()
            .filter(|ms| ms.is_finite() && *ms >= 0.0 && *ms <= 9.0e15)
            .ok_or(StoreError::InvalidArgument(
                "gracePeriodMs must be a non-negative number of milliseconds",
            ))?;
        // The filter above keeps the value inside i64's range.
        config.grace_period_ms = grace as i64;
    }
    Ok(config)
}

#[wasm_bindgen(js_class = Store)]
impl JsStore {
    /// Creates this store's MLS identity (basic credential for `identity`, new Ed25519 key pair). Resolves to
    /// `{ identity, signaturePublicKey }`. Rejects with `MLS_IDENTITY_EXISTS` when the store has one.
    #[wasm_bindgen(js_name = mlsCreateIdentity, unchecked_return_type = "Promise<MlsIdentity>")]
    pub fn mls_create_identity(&self, identity: Vec<u8>) -> Promise {
        self.spawn(move |store| {
            let info = store.mls().create_identity(&identity)?;
            Ok(MlsIdentityJs::to_js((
                &info.identity,
                &info.signature_public_key,
            )))
        })
    }

    /// Resolves to `{ identity, signaturePublicKey }`, or `undefined` when no identity exists yet.
    #[wasm_bindgen(js_name = mlsIdentity, unchecked_return_type = "Promise<MlsIdentity | undefined>")]
    pub fn mls_identity(&self) -> Promise {
        self.spawn(move |store| {
            Ok(store
                .mls()
                .identity_info()?
                .map_or(JsValue::UNDEFINED, |info| {
                    MlsIdentityJs::to_js((&info.identity, &info.signature_public_key))
                }))
        })
    }

    /// Generates `count` key packages to publish. Resolves to `[{ keyPackage, hashRef }]`. Last-resort key
    /// packages stay usable after a welcome consumed them.
    #[wasm_bindgen(js_name = mlsGenerateKeyPackages, unchecked_return_type = "Promise<MlsKeyPackage[]>")]
    pub fn mls_generate_key_packages(&self, count: u32, last_resort: Option<bool>) -> Promise {
        self.spawn(move |store| {
            if count > 1000 {
                return Err(StoreError::InvalidArgument(
                    "at most 1000 key packages per call",
                ));
            }
            let generated = store
                .mls()
                .generate_key_packages(count, last_resort.unwrap_or(false))?;
            Ok(list::<MlsKeyPackageJs>(&generated))
        })
    }

    /// Resolves to `{ available, used }`: ordinary key packages not yet used, and used ones.
    #[wasm_bindgen(js_name = mlsKeyPackageCounts, unchecked_return_type = "Promise<MlsKeyPackageCounts>")]
    pub fn mls_key_package_counts(&self) -> Promise {
        self.spawn(move |store| {
            Ok(MlsKeyPackageCountsJs::to_js(
                store.mls().key_package_counts()?,
            ))
        })
    }

    /// Resolves to `{ used, lastResort }` for one of our key packages, or `undefined` when unknown.
    #[wasm_bindgen(js_name = mlsKeyPackageState, unchecked_return_type = "Promise<MlsKeyPackageState | undefined>")]
    pub fn mls_key_package_state(&self, key_package: Vec<u8>) -> Promise {
        self.spawn(move |store| {
            Ok(store
                .mls()
                .key_package_state(&key_package)?
                .map_or(JsValue::UNDEFINED, |state| {
                    MlsKeyPackageStateJs::to_js(&state)
                }))
        })
    }

    /// Creates a group with this identity as its only member. Resolves to the group id (random when not given).
    #[wasm_bindgen(js_name = mlsCreateGroup, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn mls_create_group(&self, group_id: Option<Vec<u8>>) -> Promise {
        self.spawn_changing(move |store| {
            let group_id = store.mls().create_group(group_id.as_deref())?;
            let out = bytes(&group_id);
            Ok((out, vec![Change::GroupEpoch { group_id, epoch: 0 }]))
        })
    }

    /// Commits adding the members of `keyPackages` (array of `Uint8Array`). Resolves to `{ commit, welcome }`;
    /// send both, then call `mlsMergePendingCommit` once the delivery service accepted the commit.
    #[wasm_bindgen(js_name = mlsAddMembers, unchecked_return_type = "Promise<MlsAddMembersResult>")]
    pub fn mls_add_members(
        &self,
        group_id: Vec<u8>,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] key_packages: Array,
    ) -> Promise {
        let key_packages = accept!(byte_arrays(
            &key_packages,
            "keyPackages must be an array of Uint8Array"
        ));
        self.spawn(move |store| {
            let output = store.mls().add_members(&group_id, &key_packages)?;
            Ok(MlsAddMembersResultJs::to_js(&output))
        })
    }

    /// Commits removing the members with these credential identities. Resolves to the commit bytes.
    #[wasm_bindgen(js_name = mlsRemoveMembers, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn mls_remove_members(
        &self,
        group_id: Vec<u8>,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] identities: Array,
    ) -> Promise {
        let identities = accept!(byte_arrays(
            &identities,
            "identities must be an array of Uint8Array"
        ));
        self.spawn(move |store| Ok(bytes(&store.mls().remove_members(&group_id, &identities)?)))
    }

    /// Merges our pending commit. Resolves to the new epoch.
    #[wasm_bindgen(js_name = mlsMergePendingCommit, unchecked_return_type = "Promise<number>")]
    pub fn mls_merge_pending_commit(&self, group_id: Vec<u8>) -> Promise {
        self.spawn_changing(move |store| {
            let epoch = store.mls().merge_pending_commit(&group_id)?;
            Ok((
                Uint::to_js(epoch),
                vec![Change::GroupEpoch {
                    group_id: group_id.clone(),
                    epoch,
                }],
            ))
        })
    }

    /// Drops our pending commit (the delivery service rejected it).
    #[wasm_bindgen(js_name = mlsClearPendingCommit, unchecked_return_type = "Promise<void>")]
    pub fn mls_clear_pending_commit(&self, group_id: Vec<u8>) -> Promise {
        self.spawn(move |store| {
            store.mls().clear_pending_commit(&group_id)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Encrypts an application message for the group. Resolves to the message bytes to send.
    #[wasm_bindgen(js_name = mlsEncrypt, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn mls_encrypt(&self, group_id: Vec<u8>, plaintext: Vec<u8>) -> Promise {
        self.spawn(move |store| Ok(bytes(&store.mls().encrypt(&group_id, &plaintext)?)))
    }

    /// Processes a message from the group. Resolves to one of
    /// `{ kind: "application", plaintext, sender }`, `{ kind: "commit", epoch, stillMember }`,
    /// `{ kind: "proposal" }` or `{ kind: "own" }`.
    #[wasm_bindgen(js_name = mlsProcessMessage, unchecked_return_type = "Promise<MlsIncoming>")]
    pub fn mls_process_message(&self, group_id: Vec<u8>, message: Vec<u8>) -> Promise {
        self.spawn_changing(move |store| {
            let incoming = store.mls().process_message(&group_id, &message)?;
            let changes = match incoming {
                Incoming::Commit { epoch, .. } => vec![Change::GroupEpoch {
                    group_id: group_id.clone(),
                    epoch,
                }],
                _ => Vec::new(),
            };
            Ok((MlsIncomingJs::to_js(&incoming), changes))
        })
    }

    /// Resolves to the ids of the store's groups.
    #[wasm_bindgen(js_name = mlsListGroups, unchecked_return_type = "Promise<Uint8Array[]>")]
    pub fn mls_list_groups(&self) -> Promise {
        self.spawn(move |store| Ok(byte_list(&store.mls().list_groups()?)))
    }

    /// Resolves to the group's epoch.
    #[wasm_bindgen(js_name = mlsGroupEpoch, unchecked_return_type = "Promise<number>")]
    pub fn mls_group_epoch(&self, group_id: Vec<u8>) -> Promise {
        self.spawn(move |store| Ok(Uint::to_js(store.mls().group_epoch(&group_id)?)))
    }

    /// Resolves to the credential identities of the group's members.
    #[wasm_bindgen(js_name = mlsMembers, unchecked_return_type = "Promise<Uint8Array[]>")]
    pub fn mls_members(&self, group_id: Vec<u8>) -> Promise {
        self.spawn(move |store| Ok(byte_list(&store.mls().members(&group_id)?)))
    }

    /// Deletes the group and every key of it.
    #[wasm_bindgen(js_name = mlsDeleteGroup, unchecked_return_type = "Promise<void>")]
    pub fn mls_delete_group(&self, group_id: Vec<u8>) -> Promise {
        self.spawn_changing(move |store| {
            store.mls().delete_group(&group_id)?;
            Ok((
                JsValue::UNDEFINED,
                vec![Change::GroupDeleted {
                    group_id: group_id.clone(),
                }],
            ))
        })
    }

    /// Stores a received welcome before anything else happens to it. Resolves to its id (a hex string; the
    /// same welcome always gets the same id).
    #[wasm_bindgen(js_name = mlsReceiveWelcome, unchecked_return_type = "Promise<string>")]
    pub fn mls_receive_welcome(&self, welcome: Vec<u8>) -> Promise {
        self.spawn(move |store| Ok(store.mls().receive_welcome(&welcome, now_ms())?.into()))
    }

    /// Joins the group of a stored welcome; resolves to the group id. Until `mlsConfirmWelcome`, it may be
    /// processed again within the grace period (`{ gracePeriodMs }`, default 5 minutes), after which it
    /// rejects with `WELCOME_EXPIRED`.
    #[wasm_bindgen(js_name = mlsProcessWelcome, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn mls_process_welcome(
        &self,
        welcome_id: String,
        #[wasm_bindgen(unchecked_optional_param_type = "WelcomeOptions")] options: JsValue,
    ) -> Promise {
        let config = accept!(welcome_config(&options));
        self.spawn_changing(move |store| {
            let mls = store.mls();
            let group_id = mls.process_welcome(&welcome_id, now_ms(), config)?;
            let epoch = mls.group_epoch(&group_id)?;
            let out = bytes(&group_id);
            Ok((
                out,
                vec![Change::GroupEpoch {
                    group_id: group_id.clone(),
                    epoch,
                }],
            ))
        })
    }

    /// Confirms the app has durably used the welcome's group; its protected key material is wiped.
    #[wasm_bindgen(js_name = mlsConfirmWelcome, unchecked_return_type = "Promise<void>")]
    pub fn mls_confirm_welcome(&self, welcome_id: String) -> Promise {
        self.spawn(move |store| {
            store.mls().confirm_welcome(&welcome_id, now_ms())?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Expires in-flight welcomes older than the grace period. Resolves to how many expired.
    #[wasm_bindgen(js_name = mlsExpireWelcomes, unchecked_return_type = "Promise<number>")]
    pub fn mls_expire_welcomes(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "WelcomeOptions")] options: JsValue,
    ) -> Promise {
        let config = accept!(welcome_config(&options));
        self.spawn(move |store| {
            let expired = store.mls().expire_welcomes(now_ms(), config)?;
            Ok(JsValue::from_f64(expired as f64))
        })
    }

    /// Resolves to `"received"`, `"in_flight"`, `"confirmed"` or `"expired"`.
    #[wasm_bindgen(js_name = mlsWelcomeState, unchecked_return_type = "Promise<WelcomeState>")]
    pub fn mls_welcome_state(&self, welcome_id: String) -> Promise {
        self.spawn(move |store| Ok(Welcome::to_js(store.mls().welcome_state(&welcome_id)?)))
    }
}
