//! The catch-up API: many queued MLS messages processed and their plaintexts stored in one transaction, a
//! result per message, refused messages reported without stopping the others, a store failure leaving no
//! trace, and the state continuing after a restart.

use mls_web_store::backend::BackendChoice;
use mls_web_store::catch_up::{CatchUpError, Inbox, IncomingMessage, Processed};
use mls_web_store::chat::{ChatError, NewChannel, PageCursor};
use mls_web_store::error_code::ErrorCode;
use mls_web_store::mls::MlsClient;
use mls_web_store::store::Store;

use super::cleanup;
use super::mls_support::{group_data_rows, pair, reopen, store_with_identity};

fn channel(store: &Store, channel_id: &str, group_id: &[u8]) {
    channel_on(store, channel_id, Some(group_id));
}

fn channel_on(store: &Store, channel_id: &str, group_id: Option<&[u8]>) {
    store
        .chat()
        .create_channel(
            &NewChannel {
                channel_id: channel_id.to_owned(),
                name: Vec::new(),
                group_id: group_id.map(<[u8]>::to_vec),
                creator: b"bob".to_vec(),
            },
            None,
            1,
        )
        .unwrap();
}

fn encrypted(alice: &MlsClient<'_>, group: &[u8], texts: &[&str]) -> Vec<IncomingMessage> {
    texts
        .iter()
        .map(|text| IncomingMessage {
            message: alice.encrypt(group, text.as_bytes()).unwrap(),
            message_id: None,
            sent_at_ms: Some(1_000),
        })
        .collect()
}

fn raw(message: Vec<u8>) -> IncomingMessage {
    IncomingMessage {
        message,
        message_id: None,
        sent_at_ms: None,
    }
}

/// `a<seq>` for a stored application message, `c<epoch>` for a commit, `dup<seq>`, or the rejection code.
fn summary(results: &[Processed]) -> Vec<String> {
    results
        .iter()
        .map(|processed| match processed {
            Processed::Application { seq, sender, .. } => {
                assert_eq!(sender, b"alice");
                format!("a{seq}")
            }
            Processed::Duplicate { seq, .. } => format!("dup{seq}"),
            Processed::Commit { epoch, .. } => format!("c{epoch}"),
            Processed::Proposal => "proposal".into(),
            Processed::Own => "own".into(),
            Processed::Rejected { code, .. } => code.as_str().into(),
        })
        .collect()
}

fn bodies(store: &Store, channel_id: &str) -> Vec<String> {
    let page = store
        .chat()
        .page(channel_id, PageCursor::After(0), 1000)
        .unwrap();
    page.messages
        .iter()
        .map(|m| String::from_utf8(m.body.clone()).unwrap())
        .collect()
}

/// Two groups' queues, with a commit, garbage, a message of the other group and an id stored elsewhere in
/// them, processed in one call: each message gets its result, the refused ones change nothing, the others
/// are stored in order; the same call again finds every application message stored.
pub async fn catch_up_processes_many_groups_in_one_call(choice: BackendChoice) {
    let (alice_name, alice_store) = store_with_identity("catchup", "alice", choice).await;
    let (bob_name, bob_store) = store_with_identity("catchup", "bob", choice).await;
    let (carol_name, carol_store) = store_with_identity("catchup", "carol", choice).await;
    let (alice, bob) = (alice_store.mls(), bob_store.mls());
    let g1 = pair(&alice, &bob, b"g1");
    let g2 = pair(&alice, &bob, b"g2");
    channel(&bob_store, "c1", &g1);
    channel(&bob_store, "c2", &g2);

    let mut first = encrypted(&alice, &g1, &["one", "two"]);
    // A message of g2 in g1's queue: OpenMLS refuses it after the group was loaded.
    first.push(raw(alice.encrypt(&g2, b"astray").unwrap()));
    first.extend(encrypted(&alice, &g1, &["three"]));
    let carol_package = carol_store
        .mls()
        .generate_key_packages(1, false)
        .unwrap()
        .remove(0)
        .key_package;
    let added = alice.add_members(&g1, &[carol_package]).unwrap();
    alice.merge_pending_commit(&g1).unwrap();
    first.push(raw(added.commit.clone()));
    first.extend(encrypted(&alice, &g1, &["four", "five"]));

    let mut second = encrypted(&alice, &g2, &["uno"]);
    second.push(raw(b"not an MLS message".to_vec()));
    second.extend(encrypted(&alice, &g2, &["dos"]));
    let mut elsewhere = encrypted(&alice, &g2, &["tres"]).remove(0);
    elsewhere.message_id = Some("taken".into());
    bob_store
        .chat()
        .append_message(
            "c1",
            &mls_web_store::chat::NewMessage {
                message_id: Some("taken".into()),
                sender: b"app".to_vec(),
                body: b"zero".to_vec(),
                sent_at_ms: 1,
            },
            None,
            1,
        )
        .unwrap();
    second.push(elsewhere);

    let inboxes = [
        Inbox {
            group_id: g1.clone(),
            channel_id: "c1".into(),
            messages: first,
        },
        Inbox {
            group_id: g2.clone(),
            channel_id: "c2".into(),
            messages: second,
        },
    ];
    let epoch_before = bob.group_epoch(&g1).unwrap();
    let results = bob_store.catch_up().process(&inboxes).unwrap();
    assert_eq!(
        summary(&results[0]),
        [
            "a2",
            "a3",
            "MLS_PROTOCOL_ERROR",
            "a4",
            &format!("c{}", epoch_before + 1),
            "a5",
            "a6"
        ]
    );
    assert_eq!(
        summary(&results[1]),
        [
            "a1",
            "MLS_INVALID_MESSAGE",
            "a2",
            "MESSAGE_ID_IN_OTHER_CHANNEL"
        ]
    );
    let Processed::Application {
        plaintext,
        message_id,
        ..
    } = &results[0][0]
    else {
        panic!("not an application message");
    };
    assert_eq!(plaintext, b"one");
    assert!(message_id.starts_with("mls-"));
    assert_eq!(
        bodies(&bob_store, "c1"),
        ["zero", "one", "two", "three", "four", "five"]
    );
    assert_eq!(bodies(&bob_store, "c2"), ["uno", "dos"]);
    assert_eq!(bob.group_epoch(&g1).unwrap(), epoch_before + 1);
    assert_eq!(bob.members(&g1).unwrap().len(), 3);
    let stored = bob_store.chat().channel("c1").unwrap();
    assert_eq!((stored.last_seq, stored.unprocessed), (6, 6));
    assert!(bob_store.connection().is_autocommit());

    // Delivered again: the stored messages are recognised by their ids, the commit is refused (its epoch is
    // past), nothing changes.
    let again = bob_store.catch_up().process(&inboxes).unwrap();
    assert_eq!(
        summary(&again[0]),
        [
            "dup2",
            "dup3",
            "MLS_PROTOCOL_ERROR",
            "dup4",
            "MLS_PROTOCOL_ERROR",
            "dup5",
            "dup6"
        ]
    );
    assert_eq!(bodies(&bob_store, "c1").len(), 6);
    assert_eq!(bob.group_epoch(&g1).unwrap(), epoch_before + 1);

    // The group goes on after the batch (the cached group is the committed one).
    let later = encrypted(&alice, &g1, &["six"]);
    let results = bob_store
        .catch_up()
        .process(&[Inbox {
            group_id: g1.clone(),
            channel_id: "c1".into(),
            messages: later,
        }])
        .unwrap();
    assert_eq!(summary(&results[0]), ["a7"]);

    // Whole-call refusals: nothing is processed.
    let refused = |inbox: Inbox| match bob_store.catch_up().process(&[inbox]) {
        Err(error) => error.code(),
        Ok(results) => panic!("processed: {results:?}"),
    };
    let queued = encrypted(&alice, &g1, &["seven"]);
    assert_eq!(
        refused(Inbox {
            group_id: g1.clone(),
            channel_id: "nowhere".into(),
            messages: queued.clone(),
        }),
        ErrorCode::ChannelNotFound
    );
    assert_eq!(
        refused(Inbox {
            group_id: g1.clone(),
            channel_id: "c2".into(),
            messages: queued.clone(),
        }),
        ErrorCode::InvalidArgument
    );
    let mut bad_id = queued.clone();
    bad_id[0].message_id = Some(String::new());
    assert_eq!(
        refused(Inbox {
            group_id: g1.clone(),
            channel_id: "c1".into(),
            messages: bad_id,
        }),
        ErrorCode::InvalidArgument
    );
    // An unknown group is a per-message refusal.
    channel_on(&bob_store, "loose", None);
    let results = bob_store
        .catch_up()
        .process(&[Inbox {
            group_id: b"unknown".to_vec(),
            channel_id: "loose".into(),
            messages: queued.clone(),
        }])
        .unwrap();
    assert_eq!(summary(&results[0]), ["MLS_GROUP_NOT_FOUND"]);
    let results = bob_store
        .catch_up()
        .process(&[Inbox {
            group_id: g1.clone(),
            channel_id: "c1".into(),
            messages: queued,
        }])
        .unwrap();
    assert_eq!(summary(&results[0]), ["a8"]);

    for (name, store) in [
        (alice_name, alice_store),
        (bob_name, bob_store),
        (carol_name, carol_store),
    ] {
        super::close_fully(store).await;
        cleanup(&name, choice).await;
    }
}

/// A store failure in the middle of a batch (a chat write refused by a trigger) fails the call and leaves
/// nothing of it: no message, the MLS state as before. The same messages then process, and both the
/// messages and the group survive a restart.
pub async fn catch_up_failure_mid_batch_leaves_no_trace(choice: BackendChoice) {
    let (alice_name, alice_store) = store_with_identity("catchup-fail", "alice", choice).await;
    let (bob_name, bob_store) = store_with_identity("catchup-fail", "bob", choice).await;
    let alice = alice_store.mls();
    let group = pair(&alice, &bob_store.mls(), b"g");
    channel(&bob_store, "c", &group);
    let queued = encrypted(&alice, &group, &["a", "b", "poison", "d", "e"]);
    let inbox = Inbox {
        group_id: group.clone(),
        channel_id: "c".into(),
        messages: queued,
    };
    let before = group_data_rows(&bob_store);
    bob_store
        .connection()
        .execute_batch(
            "CREATE TEMP TRIGGER refuse_poison BEFORE INSERT ON chat_messages
             WHEN NEW.body = CAST('poison' AS BLOB) BEGIN SELECT RAISE(ABORT, 'refused by test'); END;",
        )
        .unwrap();
    let failed = bob_store.catch_up().process(std::slice::from_ref(&inbox));
    assert!(
        matches!(&failed, Err(CatchUpError::Chat(ChatError::Sql(_)))),
        "{failed:?}"
    );
    assert!(bob_store.connection().is_autocommit());
    assert_eq!(group_data_rows(&bob_store), before);
    assert!(bodies(&bob_store, "c").is_empty());
    bob_store
        .connection()
        .execute_batch("DROP TRIGGER refuse_poison")
        .unwrap();

    let results = bob_store
        .catch_up()
        .process(std::slice::from_ref(&inbox))
        .unwrap();
    assert_eq!(summary(&results[0]), ["a1", "a2", "a3", "a4", "a5"]);

    let bob_store = reopen(&bob_name, bob_store, choice).await;
    assert_eq!(bodies(&bob_store, "c"), ["a", "b", "poison", "d", "e"]);
    let again = bob_store
        .catch_up()
        .process(std::slice::from_ref(&inbox))
        .unwrap();
    assert_eq!(summary(&again[0]), ["dup1", "dup2", "dup3", "dup4", "dup5"]);
    let next = encrypted(&alice, &group, &["after restart"]);
    let results = bob_store
        .catch_up()
        .process(&[Inbox {
            group_id: group.clone(),
            channel_id: "c".into(),
            messages: next,
        }])
        .unwrap();
    assert_eq!(summary(&results[0]), ["a6"]);

    for (name, store) in [(alice_name, alice_store), (bob_name, bob_store)] {
        super::close_fully(store).await;
        cleanup(&name, choice).await;
    }
}
