//! MLS restart recovery: each test writes, closes (releasing OPFS), reopens and checks that the state is
//! whole and usable: groups continue, keys sign, key package flags hold, damaged rows are typed errors.

use mls_web_store::backend::BackendChoice;
use mls_web_store::mls::{Incoming, MlsClient, MlsError, MlsStorageError, WelcomeConfig};
use openmls_traits::storage::{traits, Entity, Key, StorageProvider, CURRENT_VERSION};
use serde::{Deserialize, Serialize};

use super::mls_support::{pair, reopen, store_with_identity};
use super::{cleanup, close_fully};

const T0: i64 = 1_800_000_000_000;

fn exchange(from: &MlsClient<'_>, to: &MlsClient<'_>, group: &[u8], text: &str, sender: &str) {
    let ciphertext = from.encrypt(group, text.as_bytes()).unwrap();
    assert_eq!(
        to.process_message(group, &ciphertext).unwrap(),
        Incoming::Application {
            plaintext: text.as_bytes().to_vec(),
            sender: sender.as_bytes().to_vec()
        }
    );
}

/// Groups, epochs, members, the identity and its signing key, and key package flags survive a restart, and
/// the groups continue: a new epoch, messages both ways.
pub async fn mls_recovery_state_survives_and_continues(choice: BackendChoice) {
    let (alice_name, alice_store) = store_with_identity("recovery", "alice", choice).await;
    let (bob_name, bob_store) = store_with_identity("recovery", "bob", choice).await;
    let (carol_name, carol_store) = store_with_identity("recovery", "carol", choice).await;
    let groups: Vec<Vec<u8>> = ["g1", "g2", "g3"]
        .iter()
        .map(|g| pair(&alice_store.mls(), &bob_store.mls(), g.as_bytes()))
        .collect();
    exchange(
        &alice_store.mls(),
        &bob_store.mls(),
        &groups[0],
        "before restart",
        "alice",
    );
    let spare = bob_store
        .mls()
        .generate_key_packages(1, false)
        .unwrap()
        .remove(0)
        .key_package;
    let identity = alice_store.mls().identity_info().unwrap();

    let alice_store = reopen(&alice_name, alice_store, choice).await;
    let bob_store = reopen(&bob_name, bob_store, choice).await;
    let (alice, bob, carol) = (alice_store.mls(), bob_store.mls(), carol_store.mls());

    assert_eq!(alice.identity_info().unwrap(), identity);
    assert_eq!(alice.list_groups().unwrap(), groups);
    assert_eq!(bob.list_groups().unwrap(), groups);
    assert_eq!(bob.key_package_counts().unwrap(), (1, 3));
    assert!(!bob.key_package_state(&spare).unwrap().unwrap().used);
    for group in &groups {
        assert_eq!(alice.group_epoch(group).unwrap(), 1);
        assert_eq!(
            bob.members(group).unwrap(),
            vec![b"alice".to_vec(), b"bob".to_vec()]
        );
    }

    // Each group continues on its own: a new epoch in g2 only, messages in all three.
    let carol_key_package = carol
        .generate_key_packages(1, false)
        .unwrap()
        .remove(0)
        .key_package;
    let added = alice.add_members(&groups[1], &[carol_key_package]).unwrap();
    alice.merge_pending_commit(&groups[1]).unwrap();
    assert_eq!(
        bob.process_message(&groups[1], &added.commit).unwrap(),
        Incoming::Commit {
            epoch: 2,
            still_member: true
        }
    );
    let welcome_id = carol.receive_welcome(&added.welcome, T0).unwrap();
    carol
        .process_welcome(&welcome_id, T0, WelcomeConfig::default())
        .unwrap();
    for group in &groups {
        exchange(&alice, &bob, group, "after restart", "alice");
        exchange(&bob, &alice, group, "reply after restart", "bob");
    }
    exchange(&carol, &bob, &groups[1], "hi from carol", "carol");
    assert_eq!(alice.group_epoch(&groups[0]).unwrap(), 1);
    assert_eq!(alice.group_epoch(&groups[1]).unwrap(), 2);
    assert_eq!(alice.group_epoch(&groups[2]).unwrap(), 1);

    // Stores are isolated: Carol sees only the group she joined.
    assert_eq!(carol.list_groups().unwrap(), vec![groups[1].clone()]);
    for (store, name) in [
        (alice_store, alice_name),
        (bob_store, bob_name),
        (carol_store, carol_name),
    ] {
        close_fully(store).await;
        cleanup(&name, choice).await;
    }
}

/// A long-lived group: 1,000 messages, a restart, and the ratchets still line up both ways.
pub async fn mls_recovery_after_a_thousand_messages(choice: BackendChoice) {
    let (alice_name, alice_store) = store_with_identity("thousand", "alice", choice).await;
    let (bob_name, bob_store) = store_with_identity("thousand", "bob", choice).await;
    let group = pair(&alice_store.mls(), &bob_store.mls(), b"busy");
    {
        let (alice, bob) = (alice_store.mls(), bob_store.mls());
        for i in 0..1000 {
            let (from, to, sender) = if i % 2 == 0 {
                (&alice, &bob, "alice")
            } else {
                (&bob, &alice, "bob")
            };
            exchange(from, to, &group, &format!("message {i}"), sender);
            if i % 25 == 0 {
                super::yield_to_browser().await;
            }
        }
    }
    let alice_store = reopen(&alice_name, alice_store, choice).await;
    let bob_store = reopen(&bob_name, bob_store, choice).await;
    exchange(
        &alice_store.mls(),
        &bob_store.mls(),
        &group,
        "message 1000",
        "alice",
    );
    exchange(
        &bob_store.mls(),
        &alice_store.mls(),
        &group,
        "message 1001",
        "bob",
    );
    for (store, name) in [(alice_store, alice_name), (bob_store, bob_name)] {
        close_fully(store).await;
        cleanup(&name, choice).await;
    }
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct TestPskId(Vec<u8>);
impl Key<CURRENT_VERSION> for TestPskId {}
impl traits::PskId<CURRENT_VERSION> for TestPskId {}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct TestPskBundle {
    secret: Vec<u8>,
}
impl Entity<CURRENT_VERSION> for TestPskBundle {}
impl traits::PskBundle<CURRENT_VERSION> for TestPskBundle {}

/// PSKs the application stores through the provider survive a restart and can be deleted.
pub async fn mls_recovery_psks_survive(choice: BackendChoice) {
    let (name, store) = store_with_identity("psks", "alice", choice).await;
    let storage = store.mls().storage();
    for i in 0..3u8 {
        storage
            .write_psk(
                &TestPskId(vec![i]),
                &TestPskBundle {
                    secret: vec![i; 32],
                },
            )
            .unwrap();
    }
    storage.delete_psk(&TestPskId(vec![1])).unwrap();
    let store = reopen(&name, store, choice).await;
    let storage = store.mls().storage();
    let read = |i: u8| -> Option<TestPskBundle> { storage.psk(&TestPskId(vec![i])).unwrap() };
    assert_eq!(
        read(0),
        Some(TestPskBundle {
            secret: vec![0; 32]
        })
    );
    assert_eq!(read(1), None);
    assert_eq!(
        read(2),
        Some(TestPskBundle {
            secret: vec![2; 32]
        })
    );
    close_fully(store).await;
    cleanup(&name, choice).await;
}

/// Damaged rows are typed errors, never panics: undecodable group data, and rows of another provider
/// version.
pub async fn mls_recovery_corrupted_rows_give_typed_errors(choice: BackendChoice) {
    let (alice_name, alice_store) = store_with_identity("corrupt-rows", "alice", choice).await;
    let alice = alice_store.mls();
    let group = alice.create_group(Some(b"fragile")).unwrap();
    let other = alice.create_group(Some(b"sturdy")).unwrap();
    let store = reopen(&alice_name, alice_store, choice).await;
    let conn = store.connection();
    let group_key: Vec<u8> = conn
        .query_value(
            "SELECT group_id FROM mls_group_data WHERE data_type = 'context' ORDER BY rowid LIMIT 1",
            &[],
        )
        .unwrap();
    conn.execute(
        "UPDATE mls_group_data SET group_data = x'00ff7b' WHERE group_id = ?1 AND data_type = 'tree'",
        &[&group_key],
    )
    .unwrap();
    match store.mls().encrypt(&group, b"x") {
        Err(MlsError::Storage(MlsStorageError::Codec(_))) => {}
        other => panic!("expected a codec error, got {other:?}"),
    }
    // The other group is unaffected.
    store.mls().encrypt(&other, b"x").unwrap();

    conn.execute(
        "UPDATE mls_group_data SET provider_version = 99 WHERE group_id <> ?1",
        &[&group_key],
    )
    .unwrap();
    // Damage on disk is seen when the group is loaded; the store has the group loaded since the last
    // call, so reopen it as a restart would.
    let store = reopen(&alice_name, store, choice).await;
    let conn = store.connection();
    match store.mls().encrypt(&other, b"x") {
        Err(MlsError::Storage(MlsStorageError::ProviderVersion {
            found: 99,
            expected: 1,
            ..
        })) => {}
        other => panic!("expected a provider version error, got {other:?}"),
    }
    conn.execute("UPDATE mls_own_identity SET value = x'ff'", &[])
        .unwrap();
    assert!(matches!(
        store.mls().identity_info(),
        Err(MlsError::Storage(MlsStorageError::Codec(_)))
    ));
    close_fully(store).await;
    cleanup(&alice_name, choice).await;
}
