//! MLS conformance tests: storage fidelity against OpenMLS's `MemoryStorage`, the client API's two-member
//! lifecycle, forward secrecy on delete, key package use, the two-phase welcome, and atomic operations.

use mls_web_store::backend::BackendChoice;
use mls_web_store::mls::{Incoming, MlsError, WelcomeConfig, WelcomeState};
use openmls::prelude::tls_codec::{Deserialize as _, Serialize as _};
use openmls::prelude::*;
use openmls::test_utils::storage_state::GroupStorageState;
use openmls_basic_credential::SignatureKeyPair;
use openmls_memory_storage::MemoryStorage;

use super::mls_support::{
    ciphersuite, group_data_rows, mls_row_counts, reopen, store_with_identity, TeeProvider,
};
use super::{cleanup, close_fully, unique_name};

const T0: i64 = 1_800_000_000_000;

fn member(provider: &TeeProvider<'_>, name: &str) -> (SignatureKeyPair, CredentialWithKey) {
    let signer = SignatureKeyPair::new(ciphersuite().signature_algorithm()).unwrap();
    signer.store(provider.storage()).unwrap();
    let credential = CredentialWithKey {
        credential: BasicCredential::new(name.as_bytes().to_vec()).into(),
        signature_key: signer.public().into(),
    };
    (signer, credential)
}

fn same_state(provider: &TeeProvider<'_>, group_id: &GroupId) -> bool {
    GroupStorageState::from_storage(&provider.storage.primary, group_id)
        == GroupStorageState::from_storage(provider.storage.mirror, group_id)
}

fn round_trip(message: &MlsMessageOut) -> ProtocolMessage {
    let bytes = message.tls_serialize_detached().unwrap();
    MlsMessageIn::tls_deserialize_exact(bytes.as_slice())
        .unwrap()
        .try_into_protocol_message()
        .unwrap()
}

/// OpenMLS driven directly on our storage, every write mirrored into `MemoryStorage`: after each step both
/// hold the same group state.
pub async fn mls_storage_matches_memory_storage(choice: BackendChoice) {
    let alice_name = unique_name("fidelity-alice");
    let bob_name = unique_name("fidelity-bob");
    let alice_store = super::open(&alice_name, choice).await;
    let bob_store = super::open(&bob_name, choice).await;
    let alice_mirror = MemoryStorage::default();
    let bob_mirror = MemoryStorage::default();
    let alice = TeeProvider::new(&alice_store, &alice_mirror);
    let bob = TeeProvider::new(&bob_store, &bob_mirror);
    let (alice_signer, alice_credential) = member(&alice, "alice");
    let (bob_signer, bob_credential) = member(&bob, "bob");

    let config = MlsGroupCreateConfig::builder()
        .ciphersuite(ciphersuite())
        .use_ratchet_tree_extension(true)
        .build();
    let mut alice_group = MlsGroup::new(&alice, &alice_signer, &config, alice_credential).unwrap();
    let group_id = alice_group.group_id().clone();
    assert!(same_state(&alice, &group_id), "after create");

    let bob_key_package = KeyPackage::builder()
        .build(ciphersuite(), &bob, &bob_signer, bob_credential)
        .unwrap();
    let (_commit, welcome, _) = alice_group
        .add_members(
            &alice,
            &alice_signer,
            &[bob_key_package.key_package().clone()],
        )
        .unwrap();
    assert!(same_state(&alice, &group_id), "with a pending commit");
    alice_group.merge_pending_commit(&alice).unwrap();
    assert!(same_state(&alice, &group_id), "after add");

    let welcome = match MlsMessageIn::tls_deserialize_exact(
        welcome.tls_serialize_detached().unwrap().as_slice(),
    )
    .unwrap()
    .extract()
    {
        MlsMessageBodyIn::Welcome(welcome) => welcome,
        other => panic!("expected a welcome, got {other:?}"),
    };
    let join = MlsGroupJoinConfig::builder()
        .use_ratchet_tree_extension(true)
        .build();
    let mut bob_group = StagedWelcome::new_from_welcome(&bob, &join, welcome, None)
        .unwrap()
        .into_group(&bob)
        .unwrap();
    assert!(same_state(&bob, &group_id), "after join");

    for round in 0..3 {
        let text = format!("hello {round}");
        let message = alice_group
            .create_message(&alice, &alice_signer, text.as_bytes())
            .unwrap();
        let processed = bob_group
            .process_message(&bob, round_trip(&message))
            .unwrap();
        match processed.into_content() {
            ProcessedMessageContent::ApplicationMessage(m) => {
                assert_eq!(m.into_bytes(), text.as_bytes())
            }
            other => panic!("expected an application message, got {other:?}"),
        }
        let reply = bob_group
            .create_message(&bob, &bob_signer, b"reply")
            .unwrap();
        alice_group
            .process_message(&alice, round_trip(&reply))
            .unwrap();
    }
    assert!(same_state(&alice, &group_id), "after messages (alice)");
    assert!(same_state(&bob, &group_id), "after messages (bob)");

    // A proposal in the queue, then a commit of it.
    let (proposal, _) = bob_group
        .propose_self_update(&bob, &bob_signer, LeafNodeParameters::default())
        .unwrap();
    let processed = alice_group
        .process_message(&alice, round_trip(&proposal))
        .unwrap();
    if let ProcessedMessageContent::ProposalMessage(queued) = processed.into_content() {
        alice_group
            .store_pending_proposal(alice.storage(), *queued)
            .unwrap();
    }
    assert!(same_state(&alice, &group_id), "with a queued proposal");
    let (commit, _, _) = alice_group
        .commit_to_pending_proposals(&alice, &alice_signer)
        .unwrap();
    alice_group.merge_pending_commit(&alice).unwrap();
    let processed = bob_group
        .process_message(&bob, round_trip(&commit))
        .unwrap();
    if let ProcessedMessageContent::StagedCommitMessage(staged) = processed.into_content() {
        bob_group.merge_staged_commit(&bob, *staged).unwrap();
    }
    assert_eq!(alice_group.epoch(), bob_group.epoch());
    assert!(
        same_state(&alice, &group_id),
        "after the proposal's commit (alice)"
    );
    assert!(
        same_state(&bob, &group_id),
        "after the proposal's commit (bob)"
    );

    let bob_index = bob_group.own_leaf_index();
    let (commit, _, _) = alice_group
        .remove_members(&alice, &alice_signer, &[bob_index])
        .unwrap();
    alice_group.merge_pending_commit(&alice).unwrap();
    let processed = bob_group
        .process_message(&bob, round_trip(&commit))
        .unwrap();
    if let ProcessedMessageContent::StagedCommitMessage(staged) = processed.into_content() {
        bob_group.merge_staged_commit(&bob, *staged).unwrap();
    }
    assert!(!bob_group.is_active());
    assert!(same_state(&alice, &group_id), "after remove (alice)");
    assert!(same_state(&bob, &group_id), "after remove (bob)");

    close_fully(alice_store).await;
    close_fully(bob_store).await;
    cleanup(&alice_name, choice).await;
    cleanup(&bob_name, choice).await;
}

/// Alice and Bob, each with a store: create, add, welcome, messages both ways, remove, epochs in step.
pub async fn mls_two_member_lifecycle(choice: BackendChoice) {
    let (alice_name, alice_store) = store_with_identity("lifecycle", "alice", choice).await;
    let (bob_name, bob_store) = store_with_identity("lifecycle", "bob", choice).await;
    let (alice, bob) = (alice_store.mls(), bob_store.mls());

    let key_packages = bob.generate_key_packages(2, false).unwrap();
    let group_id = alice.create_group(None).unwrap();
    assert_eq!(alice.list_groups().unwrap(), vec![group_id.clone()]);
    assert_eq!(alice.group_epoch(&group_id).unwrap(), 0);

    let added = alice
        .add_members(&group_id, &[key_packages[0].key_package.clone()])
        .unwrap();
    assert_eq!(alice.merge_pending_commit(&group_id).unwrap(), 1);
    let welcome_id = bob.receive_welcome(&added.welcome, T0).unwrap();
    assert_eq!(bob.receive_welcome(&added.welcome, T0).unwrap(), welcome_id);
    let joined = bob
        .process_welcome(&welcome_id, T0, WelcomeConfig::default())
        .unwrap();
    assert_eq!(joined, group_id);
    bob.confirm_welcome(&welcome_id, T0 + 10).unwrap();
    assert_eq!(
        bob.welcome_state(&welcome_id).unwrap(),
        WelcomeState::Confirmed
    );
    assert_eq!(bob.group_epoch(&group_id).unwrap(), 1);
    assert_eq!(
        bob.members(&group_id).unwrap(),
        vec![b"alice".to_vec(), b"bob".to_vec()]
    );

    for i in 0..5 {
        let text = format!("alice says {i}");
        let ciphertext = alice.encrypt(&group_id, text.as_bytes()).unwrap();
        assert!(!ciphertext.windows(text.len()).any(|w| w == text.as_bytes()));
        assert_eq!(
            bob.process_message(&group_id, &ciphertext).unwrap(),
            Incoming::Application {
                plaintext: text.into_bytes(),
                sender: b"alice".to_vec()
            }
        );
        let reply = bob.encrypt(&group_id, b"ack").unwrap();
        assert_eq!(
            alice.process_message(&group_id, &reply).unwrap(),
            Incoming::Application {
                plaintext: b"ack".to_vec(),
                sender: b"bob".to_vec()
            }
        );
    }

    let commit = alice.remove_members(&group_id, &[b"bob".to_vec()]).unwrap();
    assert_eq!(alice.merge_pending_commit(&group_id).unwrap(), 2);
    assert_eq!(
        bob.process_message(&group_id, &commit).unwrap(),
        Incoming::Commit {
            epoch: 2,
            still_member: false
        }
    );
    assert_eq!(alice.members(&group_id).unwrap(), vec![b"alice".to_vec()]);
    match alice.remove_members(&group_id, &[b"carol".to_vec()]) {
        Err(MlsError::MemberNotFound(_)) => {}
        other => panic!("expected MemberNotFound, got {other:?}"),
    }
    close_fully(alice_store).await;
    close_fully(bob_store).await;
    cleanup(&alice_name, choice).await;
    cleanup(&bob_name, choice).await;
}

/// Deleting a group removes every row of its state, epoch key pairs included.
pub async fn mls_deleting_a_group_leaves_no_row(choice: BackendChoice) {
    let (alice_name, alice_store) = store_with_identity("delete", "alice", choice).await;
    let (bob_name, bob_store) = store_with_identity("delete", "bob", choice).await;
    let (alice, bob) = (alice_store.mls(), bob_store.mls());
    let key_package = bob.generate_key_packages(1, false).unwrap().remove(0);
    let group_id = alice.create_group(Some(b"doomed")).unwrap();
    let added = alice
        .add_members(&group_id, &[key_package.key_package])
        .unwrap();
    alice.merge_pending_commit(&group_id).unwrap();
    let welcome_id = bob.receive_welcome(&added.welcome, T0).unwrap();
    bob.process_welcome(&welcome_id, T0, WelcomeConfig::default())
        .unwrap();
    bob.confirm_welcome(&welcome_id, T0).unwrap();
    let message = bob.encrypt(&group_id, b"bye").unwrap();
    alice.process_message(&group_id, &message).unwrap();

    for (store, client) in [(&alice_store, &alice), (&bob_store, &bob)] {
        assert!(mls_row_counts(store).iter().any(|(_, n)| *n > 0));
        client.delete_group(&group_id).unwrap();
        for (table, count) in mls_row_counts(store) {
            assert_eq!(count, 0, "{table} keeps rows of a deleted group");
        }
        assert!(client.list_groups().unwrap().is_empty());
        match client.encrypt(&group_id, b"x") {
            Err(MlsError::GroupNotFound(_)) => {}
            other => panic!("expected GroupNotFound, got {other:?}"),
        }
    }
    close_fully(alice_store).await;
    close_fully(bob_store).await;
    cleanup(&alice_name, choice).await;
    cleanup(&bob_name, choice).await;
}

fn join(
    alice: &mls_web_store::mls::MlsClient<'_>,
    bob: &mls_web_store::mls::MlsClient<'_>,
    group: &[u8],
    key_package: &[u8],
    now: i64,
) -> Result<Vec<u8>, MlsError> {
    alice.create_group(Some(group)).unwrap();
    let added = alice.add_members(group, &[key_package.to_vec()]).unwrap();
    alice.merge_pending_commit(group).unwrap();
    let welcome_id = bob.receive_welcome(&added.welcome, now).unwrap();
    let joined = bob.process_welcome(&welcome_id, now, WelcomeConfig::default())?;
    bob.confirm_welcome(&welcome_id, now).unwrap();
    Ok(joined)
}

/// An ordinary key package serves one join and stays used; a last-resort one serves many.
pub async fn mls_key_packages_used_once_last_resort_survive(choice: BackendChoice) {
    let (alice_name, alice_store) = store_with_identity("keypackages", "alice", choice).await;
    let (bob_name, bob_store) = store_with_identity("keypackages", "bob", choice).await;
    let (alice, bob) = (alice_store.mls(), bob_store.mls());
    let ordinary = bob
        .generate_key_packages(1, false)
        .unwrap()
        .remove(0)
        .key_package;
    let last_resort = bob
        .generate_key_packages(1, true)
        .unwrap()
        .remove(0)
        .key_package;
    assert_eq!(bob.key_package_counts().unwrap(), (1, 0));

    join(&alice, &bob, b"g1", &ordinary, T0).unwrap();
    let state = bob.key_package_state(&ordinary).unwrap().unwrap();
    assert!(state.used && !state.last_resort);
    assert_eq!(bob.key_package_counts().unwrap(), (0, 1));
    // The private key is gone: a second welcome for the same key package cannot be opened.
    match join(&alice, &bob, b"g2", &ordinary, T0) {
        Err(MlsError::Protocol {
            operation: "process welcome",
            ..
        }) => {}
        other => panic!("a used key package served a second join: {other:?}"),
    }
    assert!(bob.key_package_state(&ordinary).unwrap().unwrap().used);

    join(&alice, &bob, b"g3", &last_resort, T0).unwrap();
    join(&alice, &bob, b"g4", &last_resort, T0).unwrap();
    let state = bob.key_package_state(&last_resort).unwrap().unwrap();
    assert!(!state.used && state.last_resort);
    assert_eq!(bob.list_groups().unwrap().len(), 3);
    close_fully(alice_store).await;
    close_fully(bob_store).await;
    cleanup(&alice_name, choice).await;
    cleanup(&bob_name, choice).await;
}

/// The welcome's two phases: re-processing within the grace period gives the group back (re-joining when it
/// was lost), confirming ends it, and after the grace period re-processing is a typed error.
pub async fn mls_two_phase_welcome_with_grace_period(choice: BackendChoice) {
    let (alice_name, alice_store) = store_with_identity("welcome", "alice", choice).await;
    let (bob_name, bob_store) = store_with_identity("welcome", "bob", choice).await;
    let config = WelcomeConfig {
        grace_period_ms: 60_000,
    };
    let key_packages = bob_store.mls().generate_key_packages(3, false).unwrap();
    let welcome_for = |group: &[u8], key_package: &[u8]| {
        let alice = alice_store.mls();
        alice.create_group(Some(group)).unwrap();
        let added = alice.add_members(group, &[key_package.to_vec()]).unwrap();
        alice.merge_pending_commit(group).unwrap();
        added.welcome
    };

    // Crash after processing, before confirming: the same group comes back after a reopen.
    let welcome = welcome_for(b"crash", &key_packages[0].key_package);
    let id = bob_store.mls().receive_welcome(&welcome, T0).unwrap();
    let group = bob_store.mls().process_welcome(&id, T0, config).unwrap();
    close_fully(bob_store).await;
    let bob_store = super::open(&bob_name, choice).await;
    let bob = bob_store.mls();
    assert_eq!(bob.welcome_state(&id).unwrap(), WelcomeState::InFlight);
    assert_eq!(
        bob.process_welcome(&id, T0 + 30_000, config).unwrap(),
        group
    );
    bob.confirm_welcome(&id, T0 + 31_000).unwrap();
    bob.confirm_welcome(&id, T0 + 32_000).unwrap();
    match bob.process_welcome(&id, T0 + 33_000, config) {
        Err(MlsError::WelcomeConfirmed(_)) => {}
        other => panic!("expected WelcomeConfirmed, got {other:?}"),
    }

    // The group was lost before confirming: re-processing joins again from the protected key package.
    let welcome = welcome_for(b"lost", &key_packages[1].key_package);
    let id = bob.receive_welcome(&welcome, T0).unwrap();
    let group = bob.process_welcome(&id, T0, config).unwrap();
    bob.delete_group(&group).unwrap();
    assert_eq!(bob.process_welcome(&id, T0 + 1_000, config).unwrap(), group);
    let message = alice_store.mls().encrypt(&group, b"still there?").unwrap();
    assert_eq!(
        bob.process_message(&group, &message).unwrap(),
        Incoming::Application {
            plaintext: b"still there?".to_vec(),
            sender: b"alice".to_vec()
        }
    );
    bob.confirm_welcome(&id, T0 + 2_000).unwrap();

    // Past the grace period: expired, and the protected key material is gone.
    let welcome = welcome_for(b"late", &key_packages[2].key_package);
    let id = bob.receive_welcome(&welcome, T0).unwrap();
    bob.process_welcome(&id, T0, config).unwrap();
    match bob.process_welcome(&id, T0 + 60_001, config) {
        Err(MlsError::WelcomeExpired {
            age_ms: 60_001,
            grace_ms: 60_000,
            ..
        }) => {}
        other => panic!("expected WelcomeExpired, got {other:?}"),
    }
    assert_eq!(bob.welcome_state(&id).unwrap(), WelcomeState::Expired);
    let protected: i64 = bob_store
        .connection()
        .query_value(
            "SELECT count(*) FROM chat_welcomes WHERE protected_key_package IS NOT NULL",
            &[],
        )
        .unwrap();
    assert_eq!(protected, 0);
    assert!(bob.confirm_welcome(&id, T0 + 60_002).is_err());
    match bob.process_welcome("no-such-welcome", T0, config) {
        Err(MlsError::WelcomeNotFound(_)) => {}
        other => panic!("expected WelcomeNotFound, got {other:?}"),
    }
    assert!(bob.receive_welcome(b"not a welcome", T0).is_err());
    close_fully(alice_store).await;
    close_fully(bob_store).await;
    cleanup(&alice_name, choice).await;
    cleanup(&bob_name, choice).await;
}

/// A failed operation writes nothing: the tables are byte-for-byte as before.
pub async fn mls_failed_operations_leave_no_trace(choice: BackendChoice) {
    let (alice_name, alice_store) = store_with_identity("atomic", "alice", choice).await;
    let alice = alice_store.mls();
    let group_id = alice.create_group(None).unwrap();
    let before = (group_data_rows(&alice_store), mls_row_counts(&alice_store));
    assert!(matches!(
        alice.add_members(&group_id, &[b"garbage".to_vec()]),
        Err(MlsError::InvalidMessage { .. })
    ));
    assert!(alice.process_message(&group_id, b"garbage").is_err());
    assert!(matches!(
        alice.create_identity(b"again"),
        Err(MlsError::IdentityExists)
    ));
    assert!(matches!(
        alice.encrypt(b"unknown", b"x"),
        Err(MlsError::GroupNotFound(_))
    ));
    assert_eq!(
        (group_data_rows(&alice_store), mls_row_counts(&alice_store)),
        before
    );
    assert!(alice_store.connection().is_autocommit());

    // A write that fails inside OpenMLS's operation (after it changed its in-memory group) rolls back, and
    // the store forgets that in-memory group: the next call works from what storage holds.
    alice.encrypt(&group_id, b"warm").unwrap();
    let before = group_data_rows(&alice_store);
    alice_store
        .connection()
        .execute_batch(
            "CREATE TEMP TRIGGER refuse_group_writes BEFORE UPDATE ON mls_group_data
             BEGIN SELECT RAISE(ABORT, 'refused by test'); END;",
        )
        .unwrap();
    assert!(alice.encrypt(&group_id, b"lost").is_err());
    assert_eq!(group_data_rows(&alice_store), before);
    alice_store
        .connection()
        .execute_batch("DROP TRIGGER refuse_group_writes")
        .unwrap();
    alice.encrypt(&group_id, b"after").unwrap();
    let live = group_data_rows(&alice_store);
    let alice_store = reopen(&alice_name, alice_store, choice).await;
    assert_eq!(group_data_rows(&alice_store), live);
    alice_store
        .mls()
        .encrypt(&group_id, b"after reopen")
        .unwrap();

    let fresh_name = unique_name("no-identity");
    let fresh = super::open(&fresh_name, choice).await;
    assert!(matches!(
        fresh.mls().create_group(None),
        Err(MlsError::NoIdentity)
    ));
    assert_eq!(fresh.mls().identity_info().unwrap(), None);
    close_fully(fresh).await;
    close_fully(alice_store).await;
    cleanup(&fresh_name, choice).await;
    cleanup(&alice_name, choice).await;
}
