//! Applies a migration list to a connection: each step in its own transaction together with its history row
//! and `user_version`, so a crash leaves the database at a whole version. Before changing anything the runner
//! checks the history against the list; a database that disagrees (edited migration, newer schema, gap) is
//! refused with a typed error and left exactly as it was.

use super::connection::Connection;
use super::error::SqlError;
use crate::error_code::ErrorCode;
use crate::schema::{validate, Migration, MigrationListError};

/// The history table's name; part of the on-disk format.
pub const HISTORY_TABLE: &str = "schema_history";

const CREATE_HISTORY: &str = "CREATE TABLE IF NOT EXISTS schema_history (
    version INTEGER PRIMARY KEY NOT NULL CHECK (version > 0),
    description TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at_ms INTEGER NOT NULL
)";

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: u32,
    pub description: String,
    pub checksum: String,
    pub applied_at_ms: i64,
}

/// What a call to [`migrate_to`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub from_version: u32,
    pub to_version: u32,
    /// Versions applied upwards, in order.
    pub applied: Vec<u32>,
    /// Versions rolled back, in order (newest first).
    pub reverted: Vec<u32>,
}

/// A migration failure. The database is at the last whole version reached (none of a failed step remains).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationError {
    /// The migration list itself is malformed.
    #[error("invalid migration list: {0}")]
    InvalidList(#[from] MigrationListError),
    /// The database was migrated by a newer build; opening it here could lose data.
    #[error(
        "database schema version {found} is newer than this build knows ({known}); upgrade the app"
    )]
    SchemaTooNew { found: u32, known: u32 },
    /// A recorded migration differs from this build's: a shipped migration was edited.
    #[error("migration {version} was applied with checksum {recorded}, this build has {expected}")]
    ChecksumMismatch {
        version: u32,
        recorded: String,
        expected: String,
    },
    /// The history is not 1..=N without gaps, or disagrees with `user_version`.
    #[error("schema history is inconsistent: {reason}")]
    InconsistentHistory { reason: String },
    /// `migrate_to` was asked for a version the list does not have.
    #[error("unknown schema version {requested}; this build knows 0..={known}")]
    UnknownVersion { requested: u32, known: u32 },
    /// SQL failed while reading the history or applying a step.
    #[error("migration {version} {direction} failed: {source}")]
    Step {
        version: u32,
        direction: &'static str,
        #[source]
        source: SqlError,
    },
    /// SQL failed while reading the history.
    #[error("reading schema history failed: {0}")]
    History(#[source] SqlError),
}

impl MigrationError {
    /// The stable code of this failure; a corrupt or full database keeps the SQL error's code.
    pub fn code(&self) -> ErrorCode {
        match self {
            MigrationError::SchemaTooNew { .. } => ErrorCode::SchemaTooNew,
            MigrationError::ChecksumMismatch { .. } => ErrorCode::SchemaChecksumMismatch,
            MigrationError::InconsistentHistory { .. } => ErrorCode::SchemaHistoryInconsistent,
            MigrationError::UnknownVersion { .. } => ErrorCode::UnknownSchemaVersion,
            MigrationError::History(source) | MigrationError::Step { source, .. }
                if source.is_corruption() || source.is_full() =>
            {
                source.code()
            }
            MigrationError::InvalidList(_)
            | MigrationError::History(_)
            | MigrationError::Step { .. } => ErrorCode::MigrationFailed,
        }
    }
}

/// Reads the history, oldest first; empty for a database never migrated.
///
/// # Errors
/// [`MigrationError::History`] when the table cannot be read (including a corrupt file).
pub fn history(conn: &Connection) -> Result<Vec<AppliedMigration>, MigrationError> {
    let exists: i64 = conn
        .query_value(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            &[&HISTORY_TABLE],
        )
        .map_err(MigrationError::History)?;
    if exists == 0 {
        return Ok(Vec::new());
    }
    conn.query_map(
        "SELECT version, description, checksum, applied_at_ms FROM schema_history ORDER BY version",
        &[],
        |row| {
            Ok(AppliedMigration {
                version: row.get(0)?,
                description: row.get(1)?,
                checksum: row.get(2)?,
                applied_at_ms: row.get(3)?,
            })
        },
    )
    .map_err(MigrationError::History)
}

/// Checks the database against `migrations` without writing, and returns its current version.
///
/// # Errors
/// Any disagreement between the history and the list; see [`MigrationError`].
pub fn verify(conn: &Connection, migrations: &[Migration]) -> Result<u32, MigrationError> {
    validate(migrations)?;
    let known = known_version(migrations);
    let user_version: u32 = conn
        .query_value("PRAGMA user_version", &[])
        .map_err(MigrationError::History)?;
    let history = history(conn)?;
    let recorded = history.last().map_or(0, |m| m.version);
    if recorded > known || user_version > known {
        return Err(MigrationError::SchemaTooNew {
            found: recorded.max(user_version),
            known,
        });
    }
    for (position, applied) in history.iter().enumerate() {
        let expected_version = u32::try_from(position + 1).unwrap_or(u32::MAX);
        if applied.version != expected_version {
            return Err(MigrationError::InconsistentHistory {
                reason: format!(
                    "expected version {expected_version} at position {position}, found {}",
                    applied.version
                ),
            });
        }
        // In range: recorded <= known was checked above and versions are 1..=known.
        let Some(migration) = migrations.get(position) else {
            return Err(MigrationError::SchemaTooNew {
                found: applied.version,
                known,
            });
        };
        let expected = migration.checksum();
        if applied.checksum != expected {
            return Err(MigrationError::ChecksumMismatch {
                version: applied.version,
                recorded: applied.checksum.clone(),
                expected,
            });
        }
    }
    if user_version != recorded {
        return Err(MigrationError::InconsistentHistory {
            reason: format!("user_version is {user_version} but the history ends at {recorded}"),
        });
    }
    Ok(recorded)
}

/// Moves the database to `target`, up or down, one transaction per version.
///
/// # Errors
/// Verification fails (nothing is written), `target` is unknown, or a step's SQL fails (that step is rolled
/// back; the steps before it stay).
pub fn migrate_to(
    conn: &Connection,
    migrations: &[Migration],
    target: u32,
    now_ms: i64,
) -> Result<MigrationReport, MigrationError> {
    let current = verify(conn, migrations)?;
    let known = known_version(migrations);
    if target > known {
        return Err(MigrationError::UnknownVersion {
            requested: target,
            known,
        });
    }
    let mut report = MigrationReport {
        from_version: current,
        to_version: target,
        applied: Vec::new(),
        reverted: Vec::new(),
    };
    for migration in migrations
        .iter()
        .filter(|m| m.version > current && m.version <= target)
    {
        apply_up(conn, migration, now_ms).map_err(|source| MigrationError::Step {
            version: migration.version,
            direction: "up",
            source,
        })?;
        report.applied.push(migration.version);
    }
    for migration in migrations
        .iter()
        .rev()
        .filter(|m| m.version > target && m.version <= current)
    {
        apply_down(conn, migration).map_err(|source| MigrationError::Step {
            version: migration.version,
            direction: "down",
            source,
        })?;
        report.reverted.push(migration.version);
    }
    Ok(report)
}

/// Moves the database to the newest version in `migrations`.
///
/// # Errors
/// As [`migrate_to`].
pub fn migrate_to_latest(
    conn: &Connection,
    migrations: &[Migration],
    now_ms: i64,
) -> Result<MigrationReport, MigrationError> {
    migrate_to(conn, migrations, known_version(migrations), now_ms)
}

fn known_version(migrations: &[Migration]) -> u32 {
    migrations.last().map_or(0, |m| m.version)
}

fn apply_up(conn: &Connection, migration: &Migration, now_ms: i64) -> Result<(), SqlError> {
    let tx = conn.transaction()?;
    tx.execute_batch(CREATE_HISTORY)?;
    tx.execute_batch(migration.up)?;
    tx.execute(
        "INSERT INTO schema_history (version, description, checksum, applied_at_ms) VALUES (?1, ?2, ?3, ?4)",
        &[
            &migration.version,
            &migration.description,
            &migration.checksum(),
            &now_ms,
        ],
    )?;
    tx.execute_batch(&format!("PRAGMA user_version = {}", migration.version))?;
    tx.commit()
}

fn apply_down(conn: &Connection, migration: &Migration) -> Result<(), SqlError> {
    let tx = conn.transaction()?;
    tx.execute_batch(migration.down)?;
    tx.execute(
        "DELETE FROM schema_history WHERE version = ?1",
        &[&migration.version],
    )?;
    tx.execute_batch(&format!("PRAGMA user_version = {}", migration.version - 1))?;
    tx.commit()
}
