//! The schema as an ordered list of numbered migrations, each an up and a down SQL file embedded at compile
//! time. A shipped migration is never edited: its checksum is recorded in every database it touched, and a
//! database whose history disagrees with this list refuses to open. Change the schema by appending a version.
//!
//! This module is plain data and validation; the runner that applies it lives in `sql::migrate`.

use sha2::{Digest, Sha256};

/// One schema version: the SQL that moves a database to it from the version before, and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// 1 for the first migration, then consecutive.
    pub version: u32,
    /// A short human description, stored in the history table.
    pub description: &'static str,
    /// SQL applied, in one transaction, to go from `version - 1` to `version`.
    pub up: &'static str,
    /// SQL applied, in one transaction, to go from `version` back to `version - 1`.
    pub down: &'static str,
}

impl Migration {
    /// Hex SHA-256 of the up SQL, as recorded in the history table.
    pub fn checksum(&self) -> String {
        checksum_of(self.up)
    }
}

/// Hex SHA-256 of `sql`.
pub fn checksum_of(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The crate's schema, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "OpenMLS storage tables",
        up: include_str!("migrations/0001_mls_storage.up.sql"),
        down: include_str!("migrations/0001_mls_storage.down.sql"),
    },
    Migration {
        version: 2,
        description: "chat: channels, messages, members, idempotency, welcomes, key-value",
        up: include_str!("migrations/0002_chat.up.sql"),
        down: include_str!("migrations/0002_chat.down.sql"),
    },
    Migration {
        version: 3,
        description: "chat: member identities beside their keyed hash, unprocessed counters",
        up: include_str!("migrations/0003_chat_privacy_counters.up.sql"),
        down: include_str!("migrations/0003_chat_privacy_counters.down.sql"),
    },
    Migration {
        version: 4,
        description:
            "the MLS identity and the member-hash secret in tables of their own, out of key-value",
        up: include_str!("migrations/0004_internal_secrets.up.sql"),
        down: include_str!("migrations/0004_internal_secrets.down.sql"),
    },
];

/// The newest schema version this build knows.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Why a migration list is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationListError {
    #[error("migration at position {position} has version {found}, expected {expected}")]
    NotConsecutive {
        position: usize,
        expected: u32,
        found: u32,
    },
    #[error("migration {version} has an empty {part}")]
    Empty { version: u32, part: &'static str },
    #[error("migration {version}'s {part} SQL contains a transaction statement; the runner owns transactions")]
    OwnTransaction { version: u32, part: &'static str },
}

/// Checks that versions run 1, 2, 3 ... with no gap, and that every migration has a description and SQL both
/// ways that leaves transaction control to the runner.
///
/// # Errors
/// The first problem found.
pub fn validate(migrations: &[Migration]) -> Result<(), MigrationListError> {
    for (position, migration) in migrations.iter().enumerate() {
        let expected = u32::try_from(position + 1).unwrap_or(u32::MAX);
        if migration.version != expected {
            return Err(MigrationListError::NotConsecutive {
                position,
                expected,
                found: migration.version,
            });
        }
        for (part, text) in [
            ("description", migration.description),
            ("up", migration.up),
            ("down", migration.down),
        ] {
            if text.trim().is_empty() {
                return Err(MigrationListError::Empty {
                    version: migration.version,
                    part,
                });
            }
        }
        for (part, sql) in [("up", migration.up), ("down", migration.down)] {
            if controls_transactions(sql) {
                return Err(MigrationListError::OwnTransaction {
                    version: migration.version,
                    part,
                });
            }
        }
    }
    Ok(())
}

fn controls_transactions(sql: &str) -> bool {
    sql.lines()
        .map(|line| line.trim_start().to_ascii_uppercase())
        .filter(|line| !line.starts_with("--"))
        .any(|line| {
            [
                "BEGIN",
                "COMMIT",
                "ROLLBACK",
                "END TRANSACTION",
                "SAVEPOINT",
                "RELEASE",
            ]
            .iter()
            .any(|keyword| line.starts_with(keyword))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn migration(version: u32, up: &'static str) -> Migration {
        Migration {
            version,
            description: "test",
            up,
            down: "DROP TABLE t;",
        }
    }

    #[test]
    fn the_shipped_list_is_valid() {
        assert_eq!(validate(MIGRATIONS), Ok(()));
        assert_eq!(latest_version(), 4);
    }

    #[test]
    fn shipped_checksums_never_change() {
        // A failure here means a shipped migration was edited: add a new version instead.
        let checksums: Vec<String> = MIGRATIONS.iter().map(Migration::checksum).collect();
        assert_eq!(checksums, SHIPPED_CHECKSUMS);
    }

    const SHIPPED_CHECKSUMS: &[&str] = &[
        "35e0358e0c014878f968a9663b58af4035dde96b0de05afe730575b8a59ce1bb",
        "40d4fe734ee41daa4b3ba68f11059cfd038de24c568e0716508d3bb52703bcca",
        "48b3c1104587002e2aedc0a321bf495c6610caaa0a323939226fa8d11f0a0038",
        "4dfee330926acb9ac3e3c0f9aadff60e1cf4bab76972b0729b6ca3b54891ac22",
    ];

    #[test]
    fn gaps_and_duplicates_are_refused() {
        let gap = [
            migration(1, "CREATE TABLE t (x);"),
            migration(3, "CREATE TABLE u (x);"),
        ];
        assert_eq!(
            validate(&gap),
            Err(MigrationListError::NotConsecutive {
                position: 1,
                expected: 2,
                found: 3
            })
        );
        let duplicate = [
            migration(1, "CREATE TABLE t (x);"),
            migration(1, "CREATE TABLE u (x);"),
        ];
        assert!(validate(&duplicate).is_err());
        let zero_based = [migration(0, "CREATE TABLE t (x);")];
        assert!(validate(&zero_based).is_err());
    }

    #[test]
    fn empty_sql_and_own_transactions_are_refused() {
        assert_eq!(
            validate(&[migration(1, "  \n")]),
            Err(MigrationListError::Empty {
                version: 1,
                part: "up"
            })
        );
        assert_eq!(
            validate(&[migration(1, "BEGIN;\nCREATE TABLE t (x);\nCOMMIT;")]),
            Err(MigrationListError::OwnTransaction {
                version: 1,
                part: "up"
            })
        );
    }

    #[test]
    fn checksum_is_sha256_hex() {
        assert_eq!(
            checksum_of(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
