//! Backups in the browser: a store with MLS groups and 10k messages exported, imported into a fresh store,
//! everything equal, the group still working; wrong keys, damage and forgeries leave the live store as it was.

use mls_web_store::archive::{ArchiveKey, Argon2Params};
use mls_web_store::backend::BackendChoice;
use mls_web_store::backup::{BackupError, BackupView, ExportOptions, ImportOptions};
use mls_web_store::chat::PageCursor;
use mls_web_store::mls::{Incoming, WelcomeConfig};

use super::chat::{message, new_channel, T0};
use super::mls_support::store_with_identity;
use super::{cleanup, close_fully, open, unique_name};

fn passphrase(text: &str) -> ArchiveKey {
    // Cheap Argon2id parameters keep the debug-build test quick; the format carries them.
    ArchiveKey::Passphrase(
        zeroize::Zeroizing::new(text.to_owned()),
        Argon2Params {
            m_cost: 1024,
            t_cost: 1,
            p_cost: 1,
        },
    )
}

/// A plain archive of a backup's two entries, as given: for tests that alter what an export made.
pub(super) fn archive_of(manifest: &[u8], database: &[u8]) -> Vec<u8> {
    use mls_web_store::archive::{ArchiveWriter, WriterOptions};
    use mls_web_store::backup::{DATABASE_ENTRY, MANIFEST_ENTRY};
    let mut writer = ArchiveWriter::new(Vec::new(), WriterOptions::default()).unwrap();
    writer.add_bytes(MANIFEST_ENTRY, manifest).unwrap();
    writer.add_bytes(DATABASE_ENTRY, database).unwrap();
    writer.finalize().unwrap()
}

fn code(error: &BackupError) -> &'static str {
    error.code().as_str()
}

pub async fn backup_round_trip_keeps_chat_and_mls(choice: BackendChoice) {
    let (alice_name, alice) = store_with_identity("backup", "alice", choice).await;
    let (bob_name, bob) = store_with_identity("backup", "bob", choice).await;
    let kp = bob
        .mls()
        .generate_key_packages(1, false)
        .unwrap()
        .remove(0)
        .key_package;
    let group = alice.mls().create_group(None).unwrap();
    let added = alice.mls().add_members(&group, &[kp]).unwrap();
    alice.mls().merge_pending_commit(&group).unwrap();
    let welcome = bob.mls().receive_welcome(&added.welcome, T0).unwrap();
    bob.mls()
        .process_welcome(&welcome, T0, WelcomeConfig::default())
        .unwrap();
    let chat = alice.chat();
    chat.create_channel(&new_channel("c", b"alice"), None, T0)
        .unwrap();
    let batch: Vec<_> = (0..10_000)
        .map(|i| message(Some(&format!("m{i}")), b"alice", &format!("body {i}")))
        .collect();
    chat.append_messages("c", &batch, None, T0).unwrap();
    alice.kv_put("sync", "token", b"s_9").await.unwrap();

    let mut calls = 0u32;
    let mut last = (0, 0);
    let archive = alice
        .export_backup(
            ExportOptions {
                key: Some(passphrase("pw")),
                split_threshold: Some(256 * 1024),
                ..ExportOptions::default()
            },
            &mut |progress| {
                calls += 1;
                last = (progress.done, progress.total);
            },
        )
        .await
        .unwrap();
    assert!(
        calls > 1 && last.0 == last.1 && last.1 > 0,
        "progress reported to the end"
    );
    let expected_page = chat.page("c", PageCursor::Newest, 100).unwrap();
    close_fully(alice).await;

    // Browse without importing.
    let view = BackupView::open(&archive, &ImportOptions::with_key(passphrase("pw")))
        .await
        .unwrap();
    assert_eq!(
        (
            view.manifest.messages,
            view.manifest.channels,
            view.manifest.mls_groups
        ),
        (10_000, 1, 1)
    );
    assert_eq!(
        view.chat()
            .unwrap()
            .page("c", PageCursor::Newest, 100)
            .unwrap(),
        expected_page
    );

    // Import into a fresh store that has data of its own: after a failed import it keeps it.
    let restored_name = unique_name("restored");
    let restored = open(&restored_name, choice).await;
    restored.kv_put("mine", "k", b"v").await.unwrap();
    let wrong = restored
        .import_backup(&archive, &ImportOptions::with_key(passphrase("nope")))
        .await
        .unwrap_err();
    assert_eq!(code(&wrong), "WRONG_PASSPHRASE");
    let mut damaged = archive.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x40;
    assert_eq!(
        code(
            &restored
                .import_backup(&damaged, &ImportOptions::with_key(passphrase("pw")))
                .await
                .unwrap_err()
        ),
        "ARCHIVE_CORRUPT"
    );
    assert!(restored
        .import_backup(
            &archive[..archive.len() - 10].to_vec(),
            &ImportOptions::with_key(passphrase("pw"))
        )
        .await
        .is_err());
    assert_eq!(
        restored.kv_get("mine", "k").await.unwrap().as_deref(),
        Some(&b"v"[..]),
        "live data untouched"
    );

    let report = restored
        .import_backup(&archive, &ImportOptions::with_key(passphrase("pw")))
        .await
        .unwrap();
    assert_eq!(report.manifest.messages, 10_000);
    assert_eq!(
        restored.kv_get("mine", "k").await.unwrap(),
        None,
        "replaced as a whole"
    );
    assert_eq!(
        restored.kv_get("sync", "token").await.unwrap().as_deref(),
        Some(&b"s_9"[..])
    );
    assert_eq!(
        restored.chat().page("c", PageCursor::Newest, 100).unwrap(),
        expected_page
    );
    assert!(restored.integrity_check().unwrap().is_empty());
    // The restored group goes on: new messages both ways.
    let wire = restored.mls().encrypt(&group, b"after restore").unwrap();
    match bob.mls().process_message(&group, &wire).unwrap() {
        Incoming::Application { plaintext, sender } => assert_eq!(
            (plaintext, sender),
            (b"after restore".to_vec(), b"alice".to_vec())
        ),
        other => panic!("{other:?}"),
    }
    let reply = bob.mls().encrypt(&group, b"welcome back").unwrap();
    assert!(matches!(
        restored.mls().process_message(&group, &reply).unwrap(),
        Incoming::Application { .. }
    ));
    // Durable: it survives a reopen.
    close_fully(restored).await;
    let restored = open(&restored_name, choice).await;
    assert_eq!(restored.chat().message_count("c").unwrap(), 10_000);
    close_fully(restored).await;
    close_fully(bob).await;
    for name in [alice_name, bob_name, restored_name] {
        cleanup(&name, choice).await;
    }
}

/// A backup made by an older schema imports, migrated forward; one from a newer schema is refused.
pub async fn backup_from_an_older_schema_is_migrated_forward(choice: BackendChoice) {
    let old_name = unique_name("old-schema");
    let old = open(&old_name, choice).await;
    old.kv_put("sync", "token", b"old").await.unwrap();
    old.migrate_to(2).unwrap();
    old.sync().await.unwrap();
    let archive = old
        .export_backup(ExportOptions::default(), &mut |_| {})
        .await
        .unwrap();
    close_fully(old).await;
    let target_name = unique_name("new-schema");
    let target = open(&target_name, choice).await;
    let report = target
        .import_backup(&archive, &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(report.from_schema_version, 2);
    assert_eq!(
        target.schema_version().unwrap(),
        mls_web_store::schema::latest_version()
    );
    assert_eq!(
        target.kv_get("sync", "token").await.unwrap().as_deref(),
        Some(&b"old"[..])
    );
    close_fully(target).await;
    cleanup(&old_name, choice).await;
    cleanup(&target_name, choice).await;
}

/// A signed backup imports only when its signer is the one required; an unsigned one, or one signed by
/// another key, is refused with the store unchanged.
pub async fn a_signed_backup_imports_only_with_its_signer(choice: BackendChoice) {
    let source_name = unique_name("signed-source");
    let source = open(&source_name, choice).await;
    source.kv_put("sync", "token", b"backup").await.unwrap();
    let seed = [9u8; 32];
    let signer = ed25519_dalek::SigningKey::from_bytes(&seed)
        .verifying_key()
        .to_bytes();
    let signed = source
        .export_backup(
            ExportOptions {
                signing_key: Some(zeroize::Zeroizing::new(seed)),
                ..ExportOptions::default()
            },
            &mut |_| {},
        )
        .await
        .unwrap();
    let unsigned = source
        .export_backup(ExportOptions::default(), &mut |_| {})
        .await
        .unwrap();
    close_fully(source).await;

    let target_name = unique_name("signed-target");
    let target = open(&target_name, choice).await;
    target.kv_put("sync", "token", b"live").await.unwrap();
    let requiring = |signer: [u8; 32]| ImportOptions {
        signer: Some(signer),
        ..ImportOptions::default()
    };
    let refused = target
        .import_backup(&unsigned, &requiring(signer))
        .await
        .unwrap_err();
    assert_eq!(code(&refused), "SIGNATURE_REQUIRED");
    let other = ed25519_dalek::SigningKey::from_bytes(&[1; 32])
        .verifying_key()
        .to_bytes();
    let refused = target
        .import_backup(&signed, &requiring(other))
        .await
        .unwrap_err();
    assert_eq!(code(&refused), "SIGNER_MISMATCH");
    assert_eq!(
        target.kv_get("sync", "token").await.unwrap().as_deref(),
        Some(&b"live"[..]),
        "refused imports leave the store as it was"
    );
    let report = target
        .import_backup(&signed, &requiring(signer))
        .await
        .unwrap();
    assert_eq!((report.signer, report.format_version), (Some(signer), 2));
    assert_eq!(
        target.kv_get("sync", "token").await.unwrap().as_deref(),
        Some(&b"backup"[..])
    );
    close_fully(target).await;
    cleanup(&source_name, choice).await;
    cleanup(&target_name, choice).await;
}

/// The database inside a backup is written below SQLite's pager as it is decoded, so its shape is checked
/// on the way: bytes that are not a database, an image cut inside a page, or one shorter than a header are
/// refused (`BACKUP_INTEGRITY_FAILED`) with the store as it was; an image
/// saying "WAL" in its header (another writer's) imports as the rollback-journal database its pages are.
pub async fn a_backup_whose_database_is_not_whole_is_refused(choice: BackendChoice) {
    use mls_web_store::archive::{ArchiveReader, Limits};
    use mls_web_store::backup::{DATABASE_ENTRY, MANIFEST_ENTRY};

    let source_name = unique_name("image-source");
    let source = open(&source_name, choice).await;
    source.kv_put("sync", "token", b"backup").await.unwrap();
    let full = source
        .export_backup(ExportOptions::default(), &mut |_| {})
        .await
        .unwrap();
    close_fully(source).await;
    let reader = ArchiveReader::open(&full, None, Limits::default()).unwrap();
    let manifest = reader.read_entry(MANIFEST_ENTRY).unwrap();
    let image = reader.read_entry(DATABASE_ENTRY).unwrap();
    let page_size = usize::from(u16::from_be_bytes([image[16], image[17]]));
    let repacked = |database: &[u8]| archive_of(&manifest, database);

    let target_name = unique_name("image-target");
    let target = open(&target_name, choice).await;
    target.kv_put("sync", "token", b"live").await.unwrap();
    let refused = [
        b"not a database at all".repeat(400),
        image[..image.len() - page_size / 2].to_vec(),
        image[..50].to_vec(),
    ];
    for database in refused {
        let error = target
            .import_backup(&repacked(&database), &ImportOptions::default())
            .await
            .unwrap_err();
        assert_eq!(code(&error), "BACKUP_INTEGRITY_FAILED", "{error}");
        assert_eq!(
            target.kv_get("sync", "token").await.unwrap().as_deref(),
            Some(&b"live"[..])
        );
    }

    let mut wal_header = image.clone();
    wal_header[18..20].copy_from_slice(&[2, 2]);
    target
        .import_backup(&repacked(&wal_header), &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(
        target.kv_get("sync", "token").await.unwrap().as_deref(),
        Some(&b"backup"[..])
    );
    close_fully(target).await;
    cleanup(&source_name, choice).await;
    cleanup(&target_name, choice).await;
}
