//! The `OpenMlsProvider` an MLS operation runs with: the store's crypto provider (`crypto`) for crypto and
//! randomness, our SQL storage on the operation's transaction for state.

use openmls_traits::OpenMlsProvider;

use super::crypto::StoreCrypto;
use super::storage::SqlStorage;
use crate::sql::Connection;

/// Crypto plus storage on one connection (the open transaction of the current operation).
pub struct MlsProvider<'a> {
    crypto: &'a StoreCrypto,
    storage: SqlStorage<'a>,
}

impl<'a> MlsProvider<'a> {
    pub fn new(crypto: &'a StoreCrypto, conn: &'a Connection, clock: super::Clock) -> Self {
        MlsProvider {
            crypto,
            storage: SqlStorage::with_clock(conn, clock),
        }
    }
}

impl<'a> OpenMlsProvider for MlsProvider<'a> {
    type CryptoProvider = StoreCrypto;
    type RandProvider = StoreCrypto;
    type StorageProvider = SqlStorage<'a>;

    fn storage(&self) -> &Self::StorageProvider {
        &self.storage
    }

    fn crypto(&self) -> &Self::CryptoProvider {
        self.crypto
    }

    fn rand(&self) -> &Self::RandProvider {
        self.crypto
    }
}
