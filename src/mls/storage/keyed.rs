//! Tables that map one key to one value: encryption key pairs, PSKs and signature key pairs. One macro
//! writes the three modules so their SQL cannot drift apart.

macro_rules! keyed_table {
    ($module:ident, $table:literal, $key:literal, $value:literal) => {
        pub(super) mod $module {
            use openmls_traits::storage::CURRENT_VERSION;

            use super::super::rows::versioned_value;
            use super::super::MlsStorageError;
            use crate::sql::Connection;

            pub(in super::super) fn write(
                conn: &Connection,
                key: &[u8],
                value: &[u8],
            ) -> Result<(), MlsStorageError> {
                conn.execute(
                    concat!(
                        "INSERT INTO ",
                        $table,
                        " (",
                        $key,
                        ", ",
                        $value,
                        ", provider_version) VALUES (?1, ?2, ?3) ",
                        "ON CONFLICT (",
                        $key,
                        ") DO UPDATE SET ",
                        $value,
                        " = excluded.",
                        $value,
                        ", provider_version = excluded.provider_version"
                    ),
                    &[&key, &value, &CURRENT_VERSION],
                )?;
                Ok(())
            }

            pub(in super::super) fn read(
                conn: &Connection,
                key: &[u8],
            ) -> Result<Option<Vec<u8>>, MlsStorageError> {
                versioned_value(
                    conn,
                    $table,
                    concat!(
                        "SELECT ",
                        $value,
                        ", provider_version FROM ",
                        $table,
                        " WHERE ",
                        $key,
                        " = ?1"
                    ),
                    &[&key],
                )
            }

            pub(in super::super) fn delete(
                conn: &Connection,
                key: &[u8],
            ) -> Result<(), MlsStorageError> {
                conn.execute(
                    concat!("DELETE FROM ", $table, " WHERE ", $key, " = ?1"),
                    &[&key],
                )?;
                Ok(())
            }
        }
    };
}

keyed_table!(
    encryption_keys,
    "mls_encryption_keys",
    "public_key",
    "key_pair"
);
keyed_table!(psks, "mls_psks", "psk_id", "psk_bundle");
keyed_table!(
    signature_keys,
    "mls_signature_keys",
    "public_key",
    "signature_key"
);
