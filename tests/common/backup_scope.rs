//! Scoped backups: a history backup holds the chosen channels and time range and nothing of the MLS state
//! or the store's secrets (not even in freed pages); importing it merges into a store that has its own
//! history and MLS state, adds only what is missing, and changes nothing twice. Full backups with filters
//! are refused; backups from before scopes existed (manifest version 1) still import as full.

use mls_web_store::archive::{ArchiveReader, Limits};
use mls_web_store::backend::BackendChoice;
use mls_web_store::backup::{
    ExportOptions, HistoryFilter, ImportOptions, Scope, DATABASE_ENTRY, MANIFEST_ENTRY,
};
use mls_web_store::chat::{MemberRole, NewMessage, PageCursor};
use mls_web_store::store::Store;

use super::chat::{new_channel, T0};
use super::mls_support::store_with_identity;
use super::{cleanup, close_fully, open, unique_name};

fn sent(id: &str, at: i64) -> NewMessage {
    NewMessage {
        message_id: Some(id.to_owned()),
        sender: b"alice".to_vec(),
        body: format!("body of {id}").into_bytes(),
        sent_at_ms: at,
    }
}

fn append(store: &Store, channel: &str, ids: &[(&str, i64)]) {
    let batch: Vec<_> = ids.iter().map(|(id, at)| sent(id, *at)).collect();
    store
        .chat()
        .append_messages(channel, &batch, None, T0)
        .unwrap();
}

fn ids_and_seqs(store: &Store, channel: &str) -> Vec<(String, i64)> {
    let mut page = store
        .chat()
        .page(channel, PageCursor::Newest, 100)
        .unwrap()
        .messages;
    page.reverse();
    page.into_iter().map(|m| (m.message_id, m.seq)).collect()
}

fn history_options(filter: HistoryFilter) -> ExportOptions {
    ExportOptions {
        scope: Scope::History,
        filter,
        ..ExportOptions::default()
    }
}

/// Whether any 16-byte window of `secret` (taken every 8 bytes) occurs in `haystack`.
fn contains_part_of(haystack: &[u8], secret: &[u8]) -> bool {
    secret
        .windows(16)
        .step_by(8)
        .any(|part| haystack.windows(16).any(|window| window == part))
}

pub async fn history_backup_is_filtered_and_merges_without_touching_mls(choice: BackendChoice) {
    let (source_name, source) = store_with_identity("history-source", "alice", choice).await;
    source.mls().create_group(None).unwrap();
    let chat = source.chat();
    for id in ["a", "b", "c"] {
        chat.create_channel(&new_channel(id, b"alice"), None, T0)
            .unwrap();
    }
    chat.add_members("a", &[b"bob".to_vec()], MemberRole::Member, T0)
        .unwrap();
    let a_ids: Vec<String> = (0..10).map(|i| format!("a{i}")).collect();
    let a: Vec<(&str, i64)> = a_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), T0 + i as i64))
        .collect();
    append(&source, "a", &a);
    // More than one merge batch (64 messages) in channel "b".
    let b_ids: Vec<String> = (0..73).map(|i| format!("b{i}")).collect();
    let b: Vec<(&str, i64)> = b_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), T0 + 3 + (i as i64).min(2)))
        .collect();
    append(&source, "b", &b);
    append(&source, "c", &[("c0", T0 + 4)]);
    source.kv_put("sync", "token", b"backup").await.unwrap();
    source.kv_put("app", "theme", b"dark").await.unwrap();
    let conn = source.connection();
    let member_secret: Vec<u8> = conn
        .query_value("SELECT secret FROM chat_member_hash_secret", &[])
        .unwrap();
    let identity: Vec<u8> = conn
        .query_value("SELECT value FROM mls_own_identity", &[])
        .unwrap();

    // Filters belong to history backups; a channel that does not exist is named.
    let filtered_full = ExportOptions {
        filter: HistoryFilter {
            since_ms: Some(T0),
            ..HistoryFilter::default()
        },
        ..ExportOptions::default()
    };
    let refused = source
        .export_backup(filtered_full, &mut |_| {})
        .await
        .unwrap_err();
    assert_eq!(refused.code().as_str(), "INVALID_ARGUMENT");
    let unknown = history_options(HistoryFilter {
        channels: Some(vec!["a".into(), "nope".into()]),
        ..HistoryFilter::default()
    });
    let refused = source
        .export_backup(unknown, &mut |_| {})
        .await
        .unwrap_err();
    assert_eq!(refused.code().as_str(), "CHANNEL_NOT_FOUND");

    let filter = HistoryFilter {
        channels: Some(vec!["a".into(), "b".into()]),
        since_ms: Some(T0 + 2),
        until_ms: Some(T0 + 8),
    };
    let archive = source
        .export_backup(history_options(filter.clone()), &mut |_| {})
        .await
        .unwrap();
    close_fully(source).await;

    // Nothing of the MLS state or the store's secrets is in the database's bytes, freed pages included.
    let reader = ArchiveReader::open(&archive, None, Limits::default()).unwrap();
    let database = reader.read_entry(DATABASE_ENTRY).unwrap();
    assert!(!contains_part_of(&database, &member_secret));
    assert!(!contains_part_of(&database, &identity));
    let view = mls_web_store::backup::BackupView::open(&archive, &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(view.manifest.scope, Scope::History);
    assert_eq!(view.manifest.filter.as_ref(), Some(&filter));
    assert_eq!(
        (
            view.manifest.channels,
            view.manifest.messages,
            view.manifest.mls_groups
        ),
        (2, 79, 0)
    );
    let backup = view.connection().unwrap();
    let mls_rows: i64 = backup
        .query_map(
            r"SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'mls\_%' ESCAPE '\'",
            &[],
            |row| row.get::<String>(0),
        )
        .unwrap()
        .iter()
        .map(|table| {
            backup
                .query_value::<i64>(&format!("SELECT count(*) FROM {table}"), &[])
                .unwrap()
        })
        .sum();
    assert_eq!(mls_rows, 0, "no MLS row in a history backup");

    // A store with its own identity, group and history in channel "a".
    let (target_name, target) = store_with_identity("history-target", "carol", choice).await;
    let group = target.mls().create_group(None).unwrap();
    let identity_before = target.mls().identity_info().unwrap();
    target
        .chat()
        .create_channel(&new_channel("a", b"carol"), None, T0)
        .unwrap();
    append(
        &target,
        "a",
        &[
            ("x0", T0 + 20),
            ("x1", T0 + 21),
            ("x2", T0 + 22),
            ("x3", T0 + 23),
        ],
    );
    target.kv_put("sync", "token", b"live").await.unwrap();

    let mut phases = Vec::new();
    let report = target
        .import_backup_with_progress(&archive, &ImportOptions::default(), &mut |progress| {
            phases.push((progress.phase.as_str(), progress.done, progress.total));
        })
        .await
        .unwrap();
    assert_eq!(phases.last(), Some(&("merge", 79, 79)));
    let merged = report.merged.expect("a history backup merges");
    assert_eq!(
        (
            merged.chat.channels_added,
            merged.chat.messages_added,
            merged.chat.messages_present,
            merged.chat.messages_renumbered,
            merged.chat.members_added,
            merged.kv_entries_added,
        ),
        (1, 79, 0, 6, 3, 1)
    );
    // "a": the store's four, then the backup's six after them, in their order; "b" as the backup had it.
    let expected_a: Vec<(String, i64)> =
        ["x0", "x1", "x2", "x3", "a2", "a3", "a4", "a5", "a6", "a7"]
            .iter()
            .zip(1..)
            .map(|(id, seq)| ((*id).to_owned(), seq))
            .collect();
    assert_eq!(ids_and_seqs(&target, "a"), expected_a);
    let expected_b: Vec<(String, i64)> = b_ids.iter().cloned().zip(1..).collect();
    assert_eq!(ids_and_seqs(&target, "b"), expected_b);
    assert!(target.chat().page("c", PageCursor::Newest, 1).is_err());
    let channel_a = target.chat().channel("a").unwrap();
    assert_eq!((channel_a.last_seq, channel_a.unprocessed), (10, 10));
    // Members are keyed under the target's own secret: bob is found by identity.
    assert!(target.chat().is_member("a", b"bob").unwrap());
    assert!(target.chat().is_member("a", b"carol").unwrap());
    assert_eq!(
        target.kv_get("sync", "token").await.unwrap().as_deref(),
        Some(&b"live"[..]),
        "a merge never overwrites"
    );
    assert_eq!(
        target.kv_get("app", "theme").await.unwrap().as_deref(),
        Some(&b"dark"[..])
    );
    // The MLS state is the target's own, and still works.
    assert_eq!(target.mls().identity_info().unwrap(), identity_before);
    assert_eq!(target.mls().list_groups().unwrap(), vec![group.clone()]);
    target.mls().encrypt(&group, b"still mine").unwrap();

    // Importing the same history again adds nothing.
    let again = target
        .import_backup(&archive, &ImportOptions::default())
        .await
        .unwrap()
        .merged
        .unwrap();
    assert_eq!(
        (
            again.chat.channels_added,
            again.chat.messages_added,
            again.chat.messages_present,
            again.chat.members_added,
            again.kv_entries_added
        ),
        (0, 0, 79, 0, 0)
    );
    assert_eq!(ids_and_seqs(&target, "a").len(), 10);
    close_fully(target).await;
    cleanup(&source_name, choice).await;
    cleanup(&target_name, choice).await;
}

/// A backup whose manifest predates scopes (version 1, no `scope`) is a full backup: it replaces.
pub async fn a_backup_from_before_scopes_imports_as_full(choice: BackendChoice) {
    let source_name = unique_name("manifest-v1-source");
    let source = open(&source_name, choice).await;
    source.kv_put("sync", "token", b"backup").await.unwrap();
    let full = source
        .export_backup(ExportOptions::default(), &mut |_| {})
        .await
        .unwrap();
    close_fully(source).await;
    let reader = ArchiveReader::open(&full, None, Limits::default()).unwrap();
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&reader.read_entry(MANIFEST_ENTRY).unwrap()).unwrap();
    let fields = manifest.as_object_mut().unwrap();
    fields.insert("manifest_version".into(), 1.into());
    fields.remove("scope");
    let old = super::backup::archive_of(
        &serde_json::to_vec(&manifest).unwrap(),
        &reader.read_entry(DATABASE_ENTRY).unwrap(),
    );

    let target_name = unique_name("manifest-v1-target");
    let target = open(&target_name, choice).await;
    target.kv_put("sync", "token", b"live").await.unwrap();
    target.kv_put("app", "only-here", b"1").await.unwrap();
    let report = target
        .import_backup(&old, &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (report.manifest.manifest_version, report.manifest.scope),
        (1, Scope::Full)
    );
    assert!(report.merged.is_none());
    assert_eq!(
        target.kv_get("sync", "token").await.unwrap().as_deref(),
        Some(&b"backup"[..])
    );
    assert_eq!(
        target.kv_get("app", "only-here").await.unwrap(),
        None,
        "a full import replaces"
    );
    close_fully(target).await;
    cleanup(&source_name, choice).await;
    cleanup(&target_name, choice).await;
}
