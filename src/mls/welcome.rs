//! Two-phase welcome handling. A received welcome is stored first; processing it joins the group and marks
//! the welcome in flight; the app confirms once it has durably used the group. If the app crashes in between,
//! processing again within the grace period gives the same group (re-joining from protected key material when
//! the group is gone). After the grace period an unconfirmed welcome is expired and its key material wiped.
//!
//! OpenMLS consumes the key package while joining; its bytes are copied into the welcome row first and kept
//! only until the welcome is confirmed or expires.

use openmls::prelude::tls_codec::Deserialize as _;
use openmls::prelude::*;
use sha2::{Digest, Sha256};

use super::client::MlsClient;
use super::codec::{decode, encode};
use super::error::MlsError;
use super::storage::MlsStorageError;
use crate::hex::hex;
use crate::sql::Connection;

/// How long a processed, unconfirmed welcome may be processed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WelcomeConfig {
    pub grace_period_ms: i64,
}

impl Default for WelcomeConfig {
    fn default() -> Self {
        WelcomeConfig {
            grace_period_ms: 5 * 60 * 1000,
        }
    }
}

/// Where a stored welcome is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WelcomeState {
    Received,
    InFlight,
    Confirmed,
    Expired,
}

impl WelcomeState {
    fn parse(text: &str) -> Result<Self, MlsError> {
        match text {
            "received" => Ok(WelcomeState::Received),
            "in_flight" => Ok(WelcomeState::InFlight),
            "confirmed" => Ok(WelcomeState::Confirmed),
            "expired" => Ok(WelcomeState::Expired),
            other => Err(MlsError::invalid("welcome state", other)),
        }
    }
}

struct WelcomeRow {
    welcome: Vec<u8>,
    state: WelcomeState,
    in_flight_since_ms: Option<i64>,
    group_id: Option<Vec<u8>>,
    key_package_ref: Option<Vec<u8>>,
    protected_key_package: Option<Vec<u8>>,
}

fn load_row(conn: &Connection, welcome_id: &str) -> Result<WelcomeRow, MlsError> {
    let row = conn.query_optional(
        "SELECT welcome, state, in_flight_since_ms, group_id, key_package_ref, protected_key_package
         FROM chat_welcomes WHERE welcome_id = ?1",
        &[&welcome_id],
        |row| {
            Ok((
                row.get::<Vec<u8>>(0)?,
                row.get::<String>(1)?,
                row.get::<Option<i64>>(2)?,
                row.get::<Option<Vec<u8>>>(3)?,
                row.get::<Option<Vec<u8>>>(4)?,
                row.get::<Option<Vec<u8>>>(5)?,
            ))
        },
    )?;
    let (welcome, state, in_flight_since_ms, group_id, key_package_ref, protected_key_package) =
        row.ok_or_else(|| MlsError::WelcomeNotFound(welcome_id.to_owned()))?;
    Ok(WelcomeRow {
        welcome,
        state: WelcomeState::parse(&state)?,
        in_flight_since_ms,
        group_id,
        key_package_ref,
        protected_key_package,
    })
}

fn parse_welcome(bytes: &[u8]) -> Result<Welcome, MlsError> {
    match MlsMessageIn::tls_deserialize_exact(bytes)
        .map_err(|e| MlsError::invalid("welcome", e))?
        .extract()
    {
        MlsMessageBodyIn::Welcome(welcome) => Ok(welcome),
        _ => Err(MlsError::invalid(
            "welcome",
            "the message carries no welcome",
        )),
    }
}

fn storage_err(error: super::codec::CodecError) -> MlsError {
    MlsError::Storage(MlsStorageError::from(error))
}

impl MlsClient<'_> {
    /// Stores a received welcome (TLS `MlsMessage` bytes) and returns its id. Receiving the same welcome
    /// again returns the same id and changes nothing.
    ///
    /// # Errors
    /// The bytes are not a welcome, or storage fails.
    pub fn receive_welcome(&self, welcome: &[u8], now_ms: i64) -> Result<String, MlsError> {
        parse_welcome(welcome)?;
        let welcome_id = hex(&Sha256::digest(welcome));
        self.conn().execute(
            "INSERT INTO chat_welcomes (welcome_id, welcome, received_at_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (welcome_id) DO NOTHING",
            &[&welcome_id, &welcome, &now_ms],
        )?;
        Ok(welcome_id)
    }

    /// Joins the group of a stored welcome and returns the group id. See the module docs for the phases.
    ///
    /// # Errors
    /// [`MlsError::WelcomeExpired`] after the grace period, [`MlsError::WelcomeConfirmed`] once confirmed,
    /// [`MlsError::WelcomeNotFound`], or OpenMLS rejects the welcome (no key package of ours, ...).
    pub fn process_welcome(
        &self,
        welcome_id: &str,
        now_ms: i64,
        config: WelcomeConfig,
    ) -> Result<Vec<u8>, MlsError> {
        let conn = self.conn();
        let row = load_row(conn, welcome_id)?;
        match row.state {
            WelcomeState::Confirmed => {
                return Err(MlsError::WelcomeConfirmed(welcome_id.to_owned()))
            }
            WelcomeState::Expired => {
                return Err(MlsError::WelcomeExpired {
                    welcome_id: welcome_id.to_owned(),
                    age_ms: now_ms - row.in_flight_since_ms.unwrap_or(now_ms),
                    grace_ms: config.grace_period_ms,
                })
            }
            WelcomeState::InFlight => {
                let since = row.in_flight_since_ms.unwrap_or(now_ms);
                if now_ms - since > config.grace_period_ms {
                    self.expire(welcome_id)?;
                    return Err(MlsError::WelcomeExpired {
                        welcome_id: welcome_id.to_owned(),
                        age_ms: now_ms - since,
                        grace_ms: config.grace_period_ms,
                    });
                }
            }
            WelcomeState::Received => {}
        }

        self.in_transaction(|provider| {
            if row.state == WelcomeState::InFlight {
                if let Some(group_id) = &row.group_id {
                    if MlsGroup::load(provider.storage(), &GroupId::from_slice(group_id))?.is_some() {
                        return Ok(group_id.clone());
                    }
                }
                // The group is gone (the app deleted it after a crash): join again with the protected key.
                if let (Some(key), Some(bundle)) = (&row.key_package_ref, &row.protected_key_package) {
                    conn.execute(
                        "UPDATE mls_key_packages SET key_package = ?2, state = 'available', used_at_ms = NULL
                         WHERE key_package_ref = ?1",
                        &[key, bundle],
                    )?;
                }
            }
            let welcome = parse_welcome(&row.welcome)?;
            let protected = protect_key_package(conn, &welcome)?;
            let (key_package_ref, protected) = match protected {
                Some(p) => (Some(p.key), Some(p.bundle)),
                None => (None, None),
            };
            let join_config = MlsGroupJoinConfig::builder().use_ratchet_tree_extension(true).build();
            let group = StagedWelcome::new_from_welcome(provider, &join_config, welcome, None)
                .map_err(|e| MlsError::protocol("process welcome", e))?
                .into_group(provider)
                .map_err(|e| MlsError::protocol("join group", e))?;
            let group_id = group.group_id().as_slice().to_vec();
            // A group of this id loaded before (a rejoin after the app deleted it) is stale now.
            self.groups().take(&group_id);
            conn.execute(
                "UPDATE chat_welcomes SET state = 'in_flight', in_flight_since_ms = coalesce(in_flight_since_ms, ?2),
                     group_id = ?3, key_package_ref = coalesce(?4, key_package_ref),
                     protected_key_package = coalesce(?5, protected_key_package)
                 WHERE welcome_id = ?1",
                &[&welcome_id, &now_ms, &group_id, &key_package_ref, &protected],
            )?;
            Ok(group_id)
        })
    }

    /// Confirms that the app has durably used the welcome's group: the protected key material is wiped and
    /// the welcome cannot be processed again. Confirming twice is harmless.
    ///
    /// # Errors
    /// The welcome is unknown, was never processed, or expired.
    pub fn confirm_welcome(&self, welcome_id: &str, now_ms: i64) -> Result<(), MlsError> {
        let row = load_row(self.conn(), welcome_id)?;
        match row.state {
            WelcomeState::Confirmed => Ok(()),
            WelcomeState::Received => Err(MlsError::protocol(
                "confirm welcome",
                "the welcome was not processed yet",
            )),
            WelcomeState::Expired => Err(MlsError::WelcomeExpired {
                welcome_id: welcome_id.to_owned(),
                age_ms: now_ms - row.in_flight_since_ms.unwrap_or(now_ms),
                grace_ms: 0,
            }),
            WelcomeState::InFlight => {
                self.conn().execute(
                    "UPDATE chat_welcomes SET state = 'confirmed', confirmed_at_ms = ?2, protected_key_package = NULL
                     WHERE welcome_id = ?1",
                    &[&welcome_id, &now_ms],
                )?;
                Ok(())
            }
        }
    }

    /// Expires every in-flight welcome older than the grace period, wiping its protected key material.
    /// Returns how many expired.
    ///
    /// # Errors
    /// Storage fails.
    pub fn expire_welcomes(&self, now_ms: i64, config: WelcomeConfig) -> Result<usize, MlsError> {
        Ok(self.conn().execute(
            "UPDATE chat_welcomes SET state = 'expired', protected_key_package = NULL
             WHERE state = 'in_flight' AND in_flight_since_ms < ?1",
            &[&(now_ms - config.grace_period_ms)],
        )?)
    }

    /// The state of a stored welcome.
    ///
    /// # Errors
    /// The welcome is unknown or storage fails.
    pub fn welcome_state(&self, welcome_id: &str) -> Result<WelcomeState, MlsError> {
        Ok(load_row(self.conn(), welcome_id)?.state)
    }

    fn expire(&self, welcome_id: &str) -> Result<(), MlsError> {
        self.conn().execute(
            "UPDATE chat_welcomes SET state = 'expired', protected_key_package = NULL WHERE welcome_id = ?1",
            &[&welcome_id],
        )?;
        Ok(())
    }
}

/// The storage key and encoded bundle of the key package a welcome consumes.
struct ProtectedKeyPackage {
    key: Vec<u8>,
    bundle: Vec<u8>,
}

/// Finds which of our key packages the welcome is for and returns its storage key and bytes, to keep.
fn protect_key_package(
    conn: &Connection,
    welcome: &Welcome,
) -> Result<Option<ProtectedKeyPackage>, MlsError> {
    for secrets in welcome.secrets() {
        let key = encode("key package ref", &secrets.new_member()).map_err(storage_err)?;
        let bundle: Option<Vec<u8>> = conn.query_optional(
            "SELECT key_package FROM mls_key_packages WHERE key_package_ref = ?1 AND state = 'available'",
            &[&key],
            |row| row.get(0),
        )?;
        if let Some(bundle) = bundle {
            // Check that what we keep decodes, so a later re-join cannot fail on it.
            let _: KeyPackageBundle = decode("key package", &bundle).map_err(storage_err)?;
            return Ok(Some(ProtectedKeyPackage { key, bundle }));
        }
    }
    Ok(None)
}
