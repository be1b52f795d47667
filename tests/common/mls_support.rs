//! Helpers of the MLS conformance tests: stores with identities, and a provider that mirrors every write
//! into OpenMLS's `MemoryStorage`.

use mls_web_store::backend::BackendChoice;
use mls_web_store::mls::{MlsClient, SqlStorage, WelcomeConfig, CIPHERSUITE};
use mls_web_store::store::Store;
use openmls_memory_storage::MemoryStorage;
use openmls_rust_crypto::RustCrypto;
use openmls_traits::OpenMlsProvider;

use super::tee::TeeStorage;

/// The time the paired stores' welcomes are stamped with.
const T0: i64 = 1_800_000_000_000;

/// An OpenMLS provider whose storage is ours, mirrored into a `MemoryStorage`.
pub struct TeeProvider<'a> {
    pub crypto: RustCrypto,
    pub storage: TeeStorage<'a>,
}

impl<'a> TeeProvider<'a> {
    pub fn new(store: &'a Store, mirror: &'a MemoryStorage) -> Self {
        TeeProvider {
            crypto: RustCrypto::default(),
            storage: TeeStorage {
                primary: SqlStorage::new(store.connection()),
                mirror,
            },
        }
    }
}

impl<'a> OpenMlsProvider for TeeProvider<'a> {
    type CryptoProvider = RustCrypto;
    type RandProvider = RustCrypto;
    type StorageProvider = TeeStorage<'a>;

    fn storage(&self) -> &Self::StorageProvider {
        &self.storage
    }
    fn crypto(&self) -> &Self::CryptoProvider {
        &self.crypto
    }
    fn rand(&self) -> &Self::RandProvider {
        &self.crypto
    }
}

/// Closes the store (releasing OPFS when nothing else holds it) and opens it again, as a restart would.
pub async fn reopen(name: &str, store: Store, choice: BackendChoice) -> Store {
    super::close_fully(store).await;
    super::open(name, choice).await
}

/// Opens a store and gives it an MLS identity.
pub async fn store_with_identity(test: &str, who: &str, choice: BackendChoice) -> (String, Store) {
    let name = super::unique_name(&format!("{test}-{who}"));
    let store = super::open(&name, choice).await;
    store
        .mls()
        .create_identity(who.as_bytes())
        .expect("create identity");
    (name, store)
}

pub fn ciphersuite() -> openmls::prelude::Ciphersuite {
    CIPHERSUITE
}

/// Every stored group value, in a fixed order: equal before and after an operation that must leave no trace.
pub fn group_data_rows(store: &Store) -> Vec<Vec<u8>> {
    store
        .connection()
        .query_map(
            "SELECT group_data FROM mls_group_data ORDER BY group_id, data_type",
            &[],
            |row| row.get(0),
        )
        .expect("group data")
}

/// Rows left in every MLS table.
pub fn mls_row_counts(store: &Store) -> Vec<(String, i64)> {
    [
        "mls_group_data",
        "mls_proposals",
        "mls_own_leaf_nodes",
        "mls_epoch_key_pairs",
    ]
    .iter()
    .map(|table| {
        let count = store
            .connection()
            .query_value(&format!("SELECT count(*) FROM {table}"), &[])
            .expect("count");
        (table.to_string(), count)
    })
    .collect()
}

/// Alice creates `group`, adds Bob (who joins through the two-phase welcome); returns the group id.
pub fn pair(alice: &MlsClient<'_>, bob: &MlsClient<'_>, group: &[u8]) -> Vec<u8> {
    let key_package = bob
        .generate_key_packages(1, false)
        .unwrap()
        .remove(0)
        .key_package;
    let group_id = alice.create_group(Some(group)).unwrap();
    let added = alice.add_members(&group_id, &[key_package]).unwrap();
    alice.merge_pending_commit(&group_id).unwrap();
    let welcome_id = bob.receive_welcome(&added.welcome, T0).unwrap();
    bob.process_welcome(&welcome_id, T0, WelcomeConfig::default())
        .unwrap();
    bob.confirm_welcome(&welcome_id, T0).unwrap();
    group_id
}
