//! Browser tests in a dedicated Worker: the conformance suite on OPFS (sahpool), `auto` choosing OPFS, and
//! the OPFS pool's release and reuse.
#![cfg(target_family = "wasm")]

mod common;

use mls_web_store::backend::{Backend, BackendChoice};
use mls_web_store::store::Store;
use mls_web_store::vfs;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

store_conformance_suite!(BackendChoice::Opfs);

#[wasm_bindgen_test]
async fn auto_picks_opfs_in_a_worker() {
    let name = common::unique_name("auto");
    let store = common::open(&name, BackendChoice::Auto).await;
    assert_eq!(store.backend(), Backend::Opfs);
    assert!(store.backend().is_persistent());
    common::close_fully(store).await;
    common::cleanup(&name, BackendChoice::Opfs).await;
}

#[wasm_bindgen_test]
async fn same_name_on_opfs_and_memory_do_not_collide() {
    let name = common::unique_name("both");
    let opfs = common::open(&name, BackendChoice::Opfs).await;
    let memory = common::open(&name, BackendChoice::Memory).await;
    opfs.kv_put("ns", "k", b"opfs").await.unwrap();
    memory.kv_put("ns", "k", b"memory").await.unwrap();
    assert_eq!(
        opfs.kv_get("ns", "k").await.unwrap(),
        Some(b"opfs".to_vec())
    );
    assert_eq!(
        memory.kv_get("ns", "k").await.unwrap(),
        Some(b"memory".to_vec())
    );
    common::close_fully(memory).await;
    common::close_fully(opfs).await;
    common::cleanup(&name, BackendChoice::Opfs).await;
    common::cleanup(&name, BackendChoice::Memory).await;
}

#[wasm_bindgen_test]
async fn the_opfs_pool_is_not_released_under_an_open_store() {
    let name = common::unique_name("release");
    let store = common::open(&name, BackendChoice::Opfs).await;
    let error = vfs::release_opfs_pool()
        .await
        .expect_err("release with an open store must fail");
    assert!(error.to_string().contains("OPFS"), "{error}");
    // The store still works after the refused release.
    store.kv_put("ns", "k", b"v").await.unwrap();
    common::close_fully(store).await;
    let store = Store::open(&name, BackendChoice::Opfs).await.unwrap();
    assert_eq!(store.kv_get("ns", "k").await.unwrap(), Some(b"v".to_vec()));
    common::close_fully(store).await;
    common::cleanup(&name, BackendChoice::Opfs).await;
}

#[wasm_bindgen_test]
async fn many_stores_open_at_once_grow_the_pool() {
    let names: Vec<String> = (0..8)
        .map(|i| common::unique_name(&format!("many{i}")))
        .collect();
    let mut stores = Vec::new();
    for name in &names {
        let store = common::open(name, BackendChoice::Opfs).await;
        store.kv_put("ns", "name", name.as_bytes()).await.unwrap();
        stores.push(store);
    }
    for (store, name) in stores.iter().zip(&names) {
        assert_eq!(
            store.kv_get("ns", "name").await.unwrap(),
            Some(name.as_bytes().to_vec())
        );
    }
    for store in stores {
        store.close().unwrap();
    }
    vfs::release_opfs_pool().await.unwrap();
    for name in &names {
        common::cleanup(name, BackendChoice::Opfs).await;
    }
}

/// Bytes of wasm memory now (it only grows).
fn wasm_memory_bytes() -> f64 {
    use wasm_bindgen::JsCast;
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    js_sys::ArrayBuffer::from(memory.buffer()).byte_length() as f64
}

/// An archive kept as the pieces an export made, read as one.
struct Pieces {
    pieces: Vec<(u64, Vec<u8>)>,
    len: u64,
}

impl Pieces {
    fn new(pieces: Vec<Vec<u8>>) -> Pieces {
        let mut at = 0;
        let pieces = pieces
            .into_iter()
            .map(|piece| {
                let start = at;
                at += piece.len() as u64;
                (start, piece)
            })
            .collect();
        Pieces { pieces, len: at }
    }
}

impl mls_web_store::backup::ArchiveSource for Pieces {
    fn byte_len(&self) -> u64 {
        self.len
    }

    fn read(&self, range: std::ops::Range<u64>) -> mls_web_store::backup::ReadFuture<'_> {
        let mut out = Vec::with_capacity((range.end - range.start) as usize);
        for (start, piece) in &self.pieces {
            let end = start + piece.len() as u64;
            if end <= range.start || *start >= range.end {
                continue;
            }
            let from = range.start.max(*start) - start;
            let to = range.end.min(end) - start;
            out.extend_from_slice(&piece[from as usize..to as usize]);
        }
        Box::pin(std::future::ready(Ok(out)))
    }
}

/// Between two readings of the scratch read counts, SQLite read thousands of pages and the pool saw at
/// most one read in eight of them.
fn assert_read_ahead(what: &str, before: (i64, i64), after: (i64, i64)) {
    let (made, passed) = (after.0 - before.0, after.1 - before.1);
    assert!(
        made > 5_000 && passed * 8 < made,
        "{what} read pages {made} times, the pool {passed} times"
    );
}

/// A store larger than the memory an export and an import may add: both stream, so the wasm memory grows by
/// far less than the store's size, and the restored store equals the original. The export reads its
/// snapshot a piece at a time; the import reads its scratch file in page order, and the pool sees those
/// reads in runs (read ahead), not one per page. So do the
/// store's own files where the work reads them in runs: the export copying from the store, the import
/// copying over a store that holds as much (SQLite's backup reads every page it replaces), and the
/// checkpoint that reads the copied pages back from the WAL.
#[wasm_bindgen_test]
async fn a_large_store_exports_and_imports_without_holding_it_in_memory() {
    use mls_web_store::backup::{ImportOptions, Phase};
    let name = common::unique_name("large-backup");
    let store = common::open(&name, BackendChoice::Opfs).await;
    let chat = store.chat();
    chat.create_channel(&common::new_channel("c", b"alice"), None, common::T0)
        .unwrap();
    // 48 MB of hard-to-compress bodies, written in small batches so that building it needs little memory.
    let mut state = 0x9E37_79B9u32;
    for batch in 0..96 {
        let messages: Vec<_> = (0..125)
            .map(|i| {
                let body: String = (0..4000)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 17;
                        state ^= state << 5;
                        char::from(b'a' + (state % 26) as u8)
                    })
                    .collect();
                common::message(Some(&format!("m{batch}-{i}")), b"alice", &body)
            })
            .collect();
        chat.append_messages("c", &messages, None, common::T0)
            .unwrap();
        common::yield_to_browser().await;
    }
    store.sync().await.unwrap();
    let database_bytes = f64::from(store.connection().page_count().unwrap())
        * f64::from(store.connection().page_size().unwrap());
    assert!(database_bytes > 48e6, "{database_bytes}");
    let expected = chat
        .page("c", mls_web_store::chat::PageCursor::Newest, 50)
        .unwrap();

    let before = wasm_memory_bytes();
    let reads_before = vfs::scratch_read_counts_for_tests();
    let store_reads_before = vfs::store_read_counts_for_tests();
    let mut stream = store
        .export_backup_stream(Default::default())
        .await
        .unwrap();
    let mut pieces = Vec::new();
    let mut phases = Vec::new();
    while let Some(mut piece) = stream.next_piece().unwrap() {
        // As JS does when it copies a piece out: only the bytes stay.
        piece.shrink_to_fit();
        pieces.push(piece);
        phases.push(stream.progress().phase);
    }
    stream.close().await;
    assert!(phases.iter().all(|phase| *phase == Phase::Export) && phases.len() > 40);
    let export_reads = vfs::scratch_read_counts_for_tests();
    // The snapshot's pages are read below the pager, a piece at a time (the manifest's counts read some
    // of them through SQLite, read ahead): far fewer reads than pages.
    let snapshot_reads = export_reads.1 - reads_before.1;
    let pages = database_bytes / f64::from(store.connection().page_size().unwrap());
    assert!(
        (snapshot_reads * 32) as f64 <= pages,
        "the export read its {pages}-page snapshot {snapshot_reads} times"
    );
    assert_read_ahead(
        "the export's copy of the store",
        store_reads_before,
        vfs::store_read_counts_for_tests(),
    );
    let archive = Pieces::new(pieces);
    // The collected pieces are the test's own (about the store's size); the export itself added little.
    let after_export = wasm_memory_bytes() - archive.len as f64;
    let target_name = common::unique_name("large-restore");
    let target = common::open(&target_name, BackendChoice::Opfs).await;
    let mut verified = 0;
    target
        .import_backup_with_progress(&archive, &ImportOptions::default(), &mut |progress| {
            if progress.phase == Phase::Verify {
                verified += 1;
            }
        })
        .await
        .unwrap();
    assert!(verified > 20, "import progress while verifying: {verified}");
    assert_read_ahead(
        "the import",
        export_reads,
        vfs::scratch_read_counts_for_tests(),
    );
    let grown = (wasm_memory_bytes() - archive.len as f64 - before).max(after_export - before);
    // The restored store's own page cache (16 MiB) fills as the backup is copied in; the rest is the export's
    // and the import's.
    assert!(
        grown < 24e6,
        "export and import added {grown} bytes of wasm memory for a {database_bytes}-byte store"
    );
    assert_eq!(
        target
            .chat()
            .page("c", mls_web_store::chat::PageCursor::Newest, 50)
            .unwrap(),
        expected
    );
    assert_eq!(target.chat().message_count("c").unwrap(), 12_000);

    // Again, over the restored store: every page the copy replaces is read first, then read back from the
    // WAL by the checkpoint.
    let store_reads_before = vfs::store_read_counts_for_tests();
    target
        .import_backup(&archive, &ImportOptions::default())
        .await
        .unwrap();
    assert_read_ahead(
        "the import over a full store",
        store_reads_before,
        vfs::store_read_counts_for_tests(),
    );
    assert_eq!(target.chat().message_count("c").unwrap(), 12_000);
    assert_eq!(target.integrity_check().unwrap(), Vec::<String>::new());
    common::close_fully(target).await;
    common::close_fully(store).await;
    common::cleanup(&target_name, BackendChoice::Opfs).await;
    common::cleanup(&name, BackendChoice::Opfs).await;
}

/// With every commit synced (the default), a commit's WAL frames (two writes each: header, page) reach the
/// OPFS pool as one write, and what was committed is there after the pool is released and taken again.
/// With `synchronous = NORMAL` (commits not synced) every write passes straight through.
#[wasm_bindgen_test]
async fn a_commits_wal_writes_reach_the_pool_as_one_write() {
    use mls_web_store::store::{StoreConfig, Synchronous};
    let name = common::unique_name("coalesce");
    let store = common::open(&name, BackendChoice::Opfs).await;
    let chat = store.chat();
    chat.create_channel(&common::new_channel("c", b"alice"), None, common::T0)
        .unwrap();
    let (made_before, passed_before) = vfs::wal_write_counts_for_tests();
    chat.append_message(
        "c",
        &common::message(Some("m1"), b"alice", "one commit"),
        None,
        common::T0,
    )
    .unwrap();
    let (made, passed) = vfs::wal_write_counts_for_tests();
    assert!(
        made - made_before >= 4,
        "SQLite wrote at least two frames as two writes each: {}",
        made - made_before
    );
    assert_eq!(passed - passed_before, 1, "one write to the pool");
    common::close_fully(store).await;
    let store = common::open(&name, BackendChoice::Opfs).await;
    assert_eq!(
        store.chat().message_by_id("m1").unwrap().unwrap().body,
        b"one commit"
    );
    assert!(store.integrity_check().unwrap().is_empty());
    common::close_fully(store).await;

    let normal = StoreConfig {
        synchronous: Synchronous::Normal,
        ..StoreConfig::default()
    };
    let store = Store::open_with(&name, BackendChoice::Opfs, normal)
        .await
        .unwrap();
    let (made_before, passed_before) = vfs::wal_write_counts_for_tests();
    store
        .chat()
        .append_message(
            "c",
            &common::message(Some("m2"), b"alice", "not synced"),
            None,
            common::T0,
        )
        .unwrap();
    assert_eq!(
        vfs::wal_write_counts_for_tests(),
        (made_before, passed_before),
        "no coalescing without a sync per commit"
    );
    common::close_fully(store).await;
    common::cleanup(&name, BackendChoice::Opfs).await;
}
