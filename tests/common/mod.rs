//! The store conformance suite: every test is a function of the backend, and `store_conformance_suite!`
//! instantiates all of them for one backend inside a test binary (main thread or dedicated worker), twice:
//! `plain::` with unencrypted stores and `encrypted::` with every store the suite's helpers open keyed.
//! Each test uses a unique store name and deletes its files at the end, so tests run in any order; a test
//! that fails before its cleanup (a panic aborts, so no destructor runs) leaves its stores to the sweep that
//! runs before and after every test. `native_checks.rs` fails when a test is written but not registered.
#![allow(dead_code)]

mod backup;
mod backup_scope;
mod catch_up;
mod chat;
mod chat_js;
mod chat_stress;
mod encryption;
mod golden;
mod indexed_db;
mod indexed_db_paging;
mod internal_state;
mod migrations;
mod mls;
mod mls_recovery;
mod mls_support;
mod persistence;
mod sql_core;
mod tee;

pub use backup::*;
pub use backup_scope::*;
pub use catch_up::*;
pub use chat::*;
pub use chat_js::*;
pub use chat_stress::*;
pub use encryption::*;
pub use golden::*;
#[allow(unused_imports)]
pub use indexed_db::*;
#[allow(unused_imports)] // Used by the IndexedDB binaries only.
pub use indexed_db_paging::*;
pub use internal_state::*;
pub use migrations::*;
pub use mls::*;
pub use mls_recovery::*;
pub use persistence::*;
pub use sql_core::*;

use mls_web_store::backend::{Backend, BackendChoice};
use mls_web_store::schema::{latest_version, Migration, MIGRATIONS};
use mls_web_store::sql::migrate::{self, MigrationError};
use mls_web_store::sql::{ColumnError, Connection, SqlError};
use mls_web_store::store::{Store, StoreConfig, StoreError, StoreKey};
use mls_web_store::vfs;

use std::cell::{Cell, RefCell};

thread_local! {
    /// Whether the test running opens its stores encrypted (wasm-bindgen-test runs one test at a time).
    static ENCRYPTED: Cell<bool> = const { Cell::new(false) };
    /// Stores the running test opened and has not cleaned up yet.
    static UNSWEPT: RefCell<Vec<(String, BackendChoice)>> = const { RefCell::new(Vec::new()) };
}

/// The key of every store the encrypted suite opens.
pub const SUITE_KEY: [u8; 32] = *b"conformance-suite-key-32-bytes!!";

/// Whether the running test's stores are encrypted.
pub fn encrypted() -> bool {
    ENCRYPTED.with(Cell::get)
}

/// The key the running test opens stores with: [`SUITE_KEY`] in the encrypted suite, none in the plain one.
pub fn suite_key() -> Option<StoreKey> {
    encrypted().then(|| StoreKey::from_slice(&SUITE_KEY).expect("32 bytes"))
}

/// Notes a store the running test created, for [`sweep`].
pub fn track(name: &str, choice: BackendChoice) {
    UNSWEPT.with(|unswept| {
        let mut unswept = unswept.borrow_mut();
        if !unswept.iter().any(|(n, c)| n == name && *c == choice) {
            unswept.push((name.to_owned(), choice));
        }
    });
}

/// Deletes the stores a test left behind (it failed before its cleanup, or forgot it). Stores still open in
/// a failed test's abandoned state cannot be deleted and are skipped.
pub async fn sweep() {
    let left: Vec<(String, BackendChoice)> = UNSWEPT.with(|unswept| unswept.take());
    for (name, choice) in left {
        let _ = vfs::delete_database(backend_of(choice), &name).await;
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: i32);
}

/// Lets the browser run its own tasks (a WebDriver poll of the test page, for one) before going on. Long
/// synchronous stretches on the main thread, such as the stress tests with encryption in WebKit's wasm
/// interpreter, otherwise keep the page from answering the test runner for over a minute.
pub async fn yield_to_browser() {
    let resumed = js_sys::Promise::new(&mut |resolve, _| set_timeout(&resolve, 0));
    let _ = wasm_bindgen_futures::JsFuture::from(resumed).await;
}

/// Runs one suite test in `encrypted` mode between two sweeps.
pub async fn run_suite_test(encrypted: bool, test: impl std::future::Future<Output = ()>) {
    sweep().await;
    ENCRYPTED.with(|flag| flag.set(encrypted));
    test.await;
    // The binary's own tests, which run between suite tests, open their stores plain.
    ENCRYPTED.with(|flag| flag.set(false));
    sweep().await;
}

/// The schema after all migrations, as checked in. After ADDING a migration (never after editing one),
/// regenerate it with `bash scripts/update-schema-snapshot.sh` and review the diff.
pub const SCHEMA_SNAPSHOT: &str = include_str!("../schema/schema.sql");

/// A store name no other test uses.
pub fn unique_name(test: &str) -> String {
    let random = (js_sys::Math::random() * 1e12) as u64;
    format!("{test}-{random:x}")
}

pub fn backend_of(choice: BackendChoice) -> Backend {
    match choice {
        BackendChoice::Memory => Backend::Memory,
        BackendChoice::IndexedDb => Backend::IndexedDb,
        BackendChoice::Opfs | BackendChoice::Auto => Backend::Opfs,
    }
}

/// Opens store `name` as the running test's mode says (encrypted with [`SUITE_KEY`] or not).
pub async fn try_open(name: &str, choice: BackendChoice) -> Result<Store, StoreError> {
    track(name, choice);
    Store::open_with_key(name, choice, StoreConfig::default(), suite_key().as_ref()).await
}

pub async fn open(name: &str, choice: BackendChoice) -> Store {
    match try_open(name, choice).await {
        Ok(store) => store,
        Err(error) => panic!(
            "opening {name} on {choice:?} failed: {error} ({})",
            error.code()
        ),
    }
}

/// Closes the store and, for OPFS when no other store of this worker is open, releases the access handles,
/// as a page unload would.
pub async fn close_fully(store: Store) {
    let backend = store.backend();
    store.close_durably().await.expect("close");
    if backend == Backend::Opfs && mls_web_store::store::open_store_names(Backend::Opfs).is_empty()
    {
        vfs::release_opfs_pool().await.expect("release OPFS pool");
    }
}

pub async fn cleanup(name: &str, choice: BackendChoice) {
    vfs::delete_database(backend_of(choice), name)
        .await
        .expect("delete test database");
    UNSWEPT.with(|unswept| {
        unswept
            .borrow_mut()
            .retain(|(n, c)| n != name || *c != choice)
    });
}

/// `sqlite_schema` as text, one object per paragraph, in a stable order.
pub fn schema_dump(conn: &Connection) -> String {
    let rows: Vec<(String, String, String)> = conn
        .query_map(
            "SELECT type, name, coalesce(sql, '') FROM sqlite_schema
             WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
            &[],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .expect("read sqlite_schema");
    rows.into_iter()
        .map(|(kind, name, sql)| format!("-- {kind} {name}\n{sql};\n"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn history_without_times(store: &Store) -> Vec<(u32, String, String)> {
    store
        .schema_history()
        .expect("history")
        .into_iter()
        .map(|m| (m.version, m.description, m.checksum))
        .collect()
}

/// The pages-on-demand tests (`indexed_db_paging.rs`), for an IndexedDB binary.
#[macro_export]
macro_rules! indexed_db_paging_suite {
    () => {
        indexed_db_paging_suite!(
            paged_store_reads_and_writes_everything => indexed_db_paged_store_reads_and_writes_everything,
            paged_miss_after_a_commit_is_undone_and_run_again => indexed_db_a_miss_after_a_commit_is_undone_and_run_again,
            paged_reads_are_fenced => indexed_db_paged_reads_are_fenced,
            paged_store_exports_imports_and_compacts => indexed_db_paged_store_exports_imports_and_compacts,
            paged_store_through_the_js_api => indexed_db_paged_store_through_the_js_api,
            paged_mls_operations_undone_and_run_again_stay_in_step => indexed_db_paged_mls_operations_undone_and_run_again_stay_in_step,
        );
    };
    ($($test:ident => $body:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test::wasm_bindgen_test]
            async fn $test() {
                common::$body().await;
            }
        )*
    };
}

/// Instantiates the suite for one backend.
#[macro_export]
macro_rules! store_conformance_suite {
    ($choice:expr; $($test:ident),* $(,)?) => {
        mod plain {
            use super::*;
            $(
                #[wasm_bindgen_test::wasm_bindgen_test]
                async fn $test() {
                    common::run_suite_test(false, common::$test($choice)).await;
                }
            )*
        }
        mod encrypted {
            use super::*;
            $(
                #[wasm_bindgen_test::wasm_bindgen_test]
                async fn $test() {
                    common::run_suite_test(true, common::$test($choice)).await;
                }
            )*
        }
    };
    ($choice:expr) => {
        store_conformance_suite!($choice;
            fresh_store_is_at_latest_schema,
            schema_matches_snapshot,
            reopening_changes_nothing,
            rolls_back_and_forward,
            every_down_undoes_its_up,
            checksum_mismatch_is_refused_and_file_untouched,
            newer_schema_is_refused_and_file_untouched,
            data_survives_close_and_reopen,
            corrupted_file_gives_typed_error,
            corrupted_data_page_gives_typed_error,
            a_store_cannot_be_opened_twice,
            invalid_names_are_refused,
            transactions_commit_or_roll_back,
            errors_carry_code_message_and_sql,
            values_round_trip_through_cached_statements,
            mls_storage_matches_memory_storage,
            mls_two_member_lifecycle,
            mls_deleting_a_group_leaves_no_row,
            mls_key_packages_used_once_last_resort_survive,
            mls_two_phase_welcome_with_grace_period,
            mls_failed_operations_leave_no_trace,
            mls_recovery_state_survives_and_continues,
            mls_recovery_after_a_thousand_messages,
            mls_recovery_psks_survive,
            mls_recovery_corrupted_rows_give_typed_errors,
            catch_up_processes_many_groups_in_one_call,
            catch_up_failure_mid_batch_leaves_no_trace,
            chat_channels_lifecycle,
            chat_messages_sequences_paging_and_dedupe,
            chat_idempotent_writes_apply_once,
            chat_members_are_idempotent_and_hashed,
            encrypted_store_file_holds_no_plaintext,
            rekey_moves_the_store_to_a_new_key,
            chat_js_hundred_identical_idempotent_calls_write_once,
            chat_js_concurrent_member_adds_and_leaves,
            chat_js_five_concurrent_senders_keep_order,
            chat_stress_ten_thousand_messages,
            chat_stress_thousand_channels,
            chat_stress_concurrent_marks,
            backup_round_trip_keeps_chat_and_mls,
            encrypted_backup_imports_into_an_encrypted_store,
            backup_from_an_older_schema_is_migrated_forward,
            a_signed_backup_imports_only_with_its_signer,
            history_backup_is_filtered_and_merges_without_touching_mls,
            a_backup_from_before_scopes_imports_as_full,
            a_backup_whose_database_is_not_whole_is_refused,
            internal_state_moves_out_of_key_value_and_back,
            kv_get_cannot_read_the_stores_own_state,
            kv_put_cannot_overwrite_the_stores_own_state,
            golden_databases_open_migrate_and_read_back,
        );
    };
}
