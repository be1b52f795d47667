//! Chat conformance: channels, messages (sequences, paging, dedupe, processed flags, pruning), members and
//! idempotent writes, through the Rust API.

use mls_web_store::backend::BackendChoice;
use mls_web_store::chat::{ChatError, Idempotency, MemberRole, NewChannel, NewMessage, PageCursor};
use mls_web_store::store::Store;

use super::{cleanup, close_fully, open, unique_name};

pub const T0: i64 = 1_800_000_000_000;

pub fn new_channel(id: &str, creator: &[u8]) -> NewChannel {
    NewChannel {
        channel_id: id.to_owned(),
        name: format!("name of {id}").into_bytes(),
        group_id: None,
        creator: creator.to_vec(),
    }
}

pub fn message(id: Option<&str>, sender: &[u8], body: &str) -> NewMessage {
    NewMessage {
        message_id: id.map(str::to_owned),
        sender: sender.to_vec(),
        body: body.as_bytes().to_vec(),
        sent_at_ms: T0,
    }
}

fn seqs(page: &[mls_web_store::chat::Message]) -> Vec<i64> {
    page.iter().map(|m| m.seq).collect()
}

pub async fn chat_channels_lifecycle(choice: BackendChoice) {
    let name = unique_name("chat-channels");
    let store = open(&name, choice).await;
    let chat = store.chat();
    let general = chat
        .create_channel(&new_channel("general", b"alice"), None, T0)
        .unwrap();
    assert_eq!(
        (
            general.last_seq,
            general.unprocessed,
            general.archived_at_ms
        ),
        (0, 0, None)
    );
    assert!(matches!(
        chat.create_channel(&new_channel("general", b"bob"), None, T0),
        Err(ChatError::ChannelExists(_))
    ));
    chat.create_channel(&new_channel("random", b"alice"), None, T0 + 1)
        .unwrap();
    assert_eq!(chat.channel("general").unwrap(), general);
    assert!(matches!(
        chat.channel("nope"),
        Err(ChatError::ChannelNotFound(_))
    ));
    let ids = |archived| -> Vec<String> {
        chat.list_channels(archived)
            .unwrap()
            .into_iter()
            .map(|c| c.channel_id)
            .collect()
    };
    assert_eq!(ids(false), ["general", "random"]);
    chat.set_archived("general", Some(T0 + 5)).unwrap();
    chat.set_archived("general", Some(T0 + 9)).unwrap();
    assert_eq!(
        chat.channel("general").unwrap().archived_at_ms,
        Some(T0 + 5)
    );
    assert_eq!(
        (ids(true), ids(false)),
        (vec!["general".to_owned()], vec!["random".to_owned()])
    );
    chat.set_archived("general", None).unwrap();
    assert_eq!(ids(true), Vec::<String>::new());
    assert!(matches!(
        chat.set_archived("nope", None),
        Err(ChatError::ChannelNotFound(_))
    ));

    chat.append_messages(
        "random",
        &[
            message(Some("m1"), b"alice", "hi"),
            message(None, b"bob", "yo"),
        ],
        None,
        T0,
    )
    .unwrap();
    chat.add_members("random", &[b"bob".to_vec()], MemberRole::Member, T0)
        .unwrap();
    assert!(chat.delete_channel("random").unwrap());
    assert!(!chat.delete_channel("random").unwrap());
    let leftovers: i64 = store
        .connection()
        .query_value(
            "SELECT (SELECT count(*) FROM chat_messages WHERE channel_id = 'random')
                  + (SELECT count(*) FROM chat_members WHERE channel_id = 'random')",
            &[],
        )
        .unwrap();
    assert_eq!(leftovers, 0);
    assert_eq!(chat.message_by_id("m1").unwrap(), None);
    close_fully(store).await;
    cleanup(&name, choice).await;
}

pub async fn chat_messages_sequences_paging_and_dedupe(choice: BackendChoice) {
    let name = unique_name("chat-messages");
    let store = open(&name, choice).await;
    let chat = store.chat();
    chat.create_channel(&new_channel("c", b"alice"), None, T0)
        .unwrap();
    chat.create_channel(&new_channel("d", b"alice"), None, T0)
        .unwrap();
    let first = chat
        .append_message("c", &message(Some("m-1"), b"alice", "one"), None, T0)
        .unwrap();
    assert_eq!((first.seq, first.duplicate), (1, false));
    let batch: Vec<NewMessage> = (2..=10)
        .map(|i| message(Some(&format!("m-{i}")), b"bob", &format!("message {i}")))
        .chain([
            message(Some("m-1"), b"alice", "one again"),
            message(None, b"carol", "no id"),
        ])
        .collect();
    let appended = chat.append_messages("c", &batch, None, T0).unwrap();
    assert_eq!(
        appended.iter().map(|a| a.seq).collect::<Vec<_>>(),
        [2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 11]
    );
    assert!(appended[9].duplicate && !appended[10].duplicate);
    assert_eq!(
        appended[10].message_id.len(),
        32,
        "generated ids are 16 random bytes in hex"
    );
    // The same delivery again: stored once.
    assert!(
        chat.append_message("c", &message(Some("m-5"), b"bob", "x"), None, T0)
            .unwrap()
            .duplicate
    );
    assert!(matches!(
        chat.append_message("d", &message(Some("m-5"), b"bob", "x"), None, T0),
        Err(ChatError::MessageIdInOtherChannel { .. })
    ));
    // A batch that fails writes nothing.
    let before = chat.message_count("c").unwrap();
    assert!(chat
        .append_messages(
            "c",
            &[
                message(Some("fresh"), b"a", "x"),
                message(Some(&"x".repeat(300)), b"a", "x")
            ],
            None,
            T0
        )
        .is_err());
    assert_eq!(
        (
            chat.message_count("c").unwrap(),
            chat.message_by_id("fresh").unwrap()
        ),
        (before, None)
    );
    assert!(matches!(
        chat.append_message("nope", &message(None, b"a", "x"), None, T0),
        Err(ChatError::ChannelNotFound(_))
    ));

    let newest = chat.page("c", PageCursor::Newest, 4).unwrap();
    assert_eq!(
        (seqs(&newest.messages), newest.has_more),
        (vec![11, 10, 9, 8], true)
    );
    let back = chat.page("c", PageCursor::Before(8), 10).unwrap();
    assert_eq!(
        (seqs(&back.messages), back.has_more),
        (vec![7, 6, 5, 4, 3, 2, 1], false)
    );
    let forward = chat.page("c", PageCursor::After(8), 2).unwrap();
    assert_eq!(
        (seqs(&forward.messages), forward.has_more),
        (vec![9, 10], true)
    );
    assert!(chat.page("c", PageCursor::Newest, 0).is_err());
    let stored = chat.message_by_id("m-3").unwrap().unwrap();
    assert_eq!(
        (stored.seq, stored.body.as_slice(), stored.sender.as_slice()),
        (3, &b"message 3"[..], &b"bob"[..])
    );

    assert_eq!(chat.unprocessed_count("c").unwrap(), 11);
    assert_eq!(chat.mark_processed("c", &[1, 2, 3, 3, 99]).unwrap(), 3);
    assert_eq!(chat.mark_processed("c", &[1]).unwrap(), 0);
    assert_eq!(chat.unprocessed_count("c").unwrap(), 8);
    assert_eq!(seqs(&chat.unprocessed("c", 3).unwrap()), [4, 5, 6]);

    assert_eq!(chat.prune("c", 5).unwrap(), 6);
    assert_eq!(chat.message_count("c").unwrap(), 5);
    assert_eq!(chat.unprocessed_count("c").unwrap(), 5);
    assert_eq!(chat.prune("c", 50).unwrap(), 0);
    let next = chat
        .append_message("c", &message(None, b"a", "after prune"), None, T0)
        .unwrap();
    assert_eq!(next.seq, 12, "sequences are never reused");
    close_fully(store).await;
    cleanup(&name, choice).await;
}

pub async fn chat_idempotent_writes_apply_once(choice: BackendChoice) {
    let name = unique_name("chat-idem");
    let store = open(&name, choice).await;
    let chat = store.chat();
    let key = Idempotency {
        key: "req-1".into(),
        ttl_ms: 1000,
    };
    let created = chat
        .create_channel(&new_channel("c", b"alice"), Some(&key), T0)
        .unwrap();
    assert_eq!(
        chat.create_channel(&new_channel("c", b"alice"), Some(&key), T0 + 1)
            .unwrap(),
        created
    );
    let send = Idempotency {
        key: "send-1".into(),
        ttl_ms: 1000,
    };
    let a = chat
        .append_message("c", &message(None, b"alice", "hello"), Some(&send), T0)
        .unwrap();
    let b = chat
        .append_message("c", &message(None, b"alice", "hello"), Some(&send), T0 + 10)
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(chat.message_count("c").unwrap(), 1);
    assert!(matches!(
        chat.append_message(
            "c",
            &message(None, b"alice", "different"),
            Some(&send),
            T0 + 20
        ),
        Err(ChatError::IdempotencyKeyReused(_))
    ));
    let other = Idempotency {
        key: "send-2".into(),
        ttl_ms: 5000,
    };
    chat.append_messages("c", &[message(None, b"a", "x")], Some(&other), T0)
        .unwrap();
    assert_eq!(chat.idempotency_record_count().unwrap(), 3);
    // At T0 + 1000 the first two expired; the third lives until T0 + 5000.
    assert_eq!(chat.cleanup_idempotency(T0 + 1000).unwrap(), 2);
    assert_eq!(chat.idempotency_record_count().unwrap(), 1);
    // An expired key applies again.
    let again = chat
        .append_message(
            "c",
            &message(None, b"alice", "hello"),
            Some(&send),
            T0 + 2000,
        )
        .unwrap();
    assert_ne!(again.seq, a.seq);
    close_fully(store).await;
    cleanup(&name, choice).await;
}

pub async fn chat_members_are_idempotent_and_hashed(choice: BackendChoice) {
    let name = unique_name("chat-members");
    let store = open(&name, choice).await;
    let chat = store.chat();
    chat.create_channel(&new_channel("c", b"alice"), None, T0)
        .unwrap();
    let people: Vec<Vec<u8>> = ["bob", "carol"]
        .iter()
        .map(|p| p.as_bytes().to_vec())
        .collect();
    assert_eq!(
        chat.add_members("c", &people, MemberRole::Member, T0)
            .unwrap(),
        2
    );
    assert_eq!(
        chat.add_members("c", &people, MemberRole::Admin, T0)
            .unwrap(),
        0
    );
    let members = chat.members("c", false).unwrap();
    assert_eq!(
        members
            .iter()
            .map(|m| (m.identity.clone(), m.role.clone()))
            .collect::<Vec<_>>(),
        [
            (b"alice".to_vec(), "creator".to_owned()),
            (b"bob".to_vec(), "member".to_owned()),
            (b"carol".to_vec(), "member".to_owned())
        ]
    );
    assert!(chat.leave("c", b"bob", T0 + 1).unwrap());
    assert!(!chat.leave("c", b"bob", T0 + 2).unwrap());
    assert!(!chat.leave("c", b"nobody", T0 + 2).unwrap());
    assert!(!chat.is_member("c", b"bob").unwrap());
    assert_eq!(chat.members("c", false).unwrap().len(), 2);
    let bob = chat
        .members("c", true)
        .unwrap()
        .into_iter()
        .find(|m| m.identity == b"bob")
        .unwrap();
    assert_eq!(bob.left_at_ms, Some(T0 + 1));
    assert_eq!(
        chat.add_members("c", &people[..1], MemberRole::Member, T0 + 3)
            .unwrap(),
        1
    );
    assert!(chat.is_member("c", b"bob").unwrap());
    // The row key is a keyed hash, not the identity.
    let keys: Vec<Vec<u8>> = store
        .connection()
        .query_map("SELECT member FROM chat_members", &[], |row| row.get(0))
        .unwrap();
    assert!(keys
        .iter()
        .all(|k| k.len() == 32 && k.as_slice() != b"bob" && k.as_slice() != b"alice"));
    assert!(matches!(
        chat.add_members("nope", &people, MemberRole::Member, T0),
        Err(ChatError::ChannelNotFound(_))
    ));
    assert!(chat
        .add_members("c", &[Vec::new()], MemberRole::Member, T0)
        .is_err());
    close_fully(store).await;
    cleanup(&name, choice).await;
}

/// Opens a store and creates channel `c` in it.
pub async fn store_with_channel(test: &str, choice: BackendChoice) -> (String, Store) {
    let name = unique_name(test);
    let store = open(&name, choice).await;
    store
        .chat()
        .create_channel(&new_channel("c", b"alice"), None, T0)
        .unwrap();
    (name, store)
}
