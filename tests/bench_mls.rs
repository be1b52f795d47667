//! Release benchmark of MLS on the store: one conversation (two identities, key package, group, add, welcome,
//! messages both ways) through our client on OPFS, beside the same OpenMLS operations on OpenMLS's own
//! `MemoryStorage` in the same run. Not a test: it runs only with `--features bench` (`scripts/bench.sh`)
//! and prints one JSON line prefixed `BENCH_JSON `.
#![cfg(target_family = "wasm")]

mod bench_support;

use bench_support::mls::{decrypt, memory_identity};
use bench_support::{median, performance_now, round};
use mls_web_store::backend::{Backend, BackendChoice};
use mls_web_store::mls::{Incoming, WelcomeConfig, CIPHERSUITE};
use mls_web_store::store::{JournalMode, Store, StoreConfig, Synchronous};
use mls_web_store::vfs;
use openmls::prelude::tls_codec::{Deserialize as _, Serialize as _};
use openmls::prelude::*;
use openmls_rust_crypto::OpenMlsRustCrypto;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Application messages each way after the join.
const MESSAGES: usize = 10;
const RUNS: usize = 5;

/// Milliseconds of each phase of one conversation.
#[derive(Default, Clone, Copy)]
struct Phases {
    setup_ms: f64,
    create_add_welcome_ms: f64,
    messages_ms: f64,
}

impl Phases {
    fn total(&self) -> f64 {
        self.setup_ms + self.create_add_welcome_ms + self.messages_ms
    }
}

fn backend_of(choice: BackendChoice) -> Backend {
    match choice {
        BackendChoice::Memory => Backend::Memory,
        _ => Backend::Opfs,
    }
}

async fn conversation_on_store(run: usize, choice: BackendChoice, config: StoreConfig) -> Phases {
    let names = [format!("bench-mls-a-{run}"), format!("bench-mls-b-{run}")];
    for name in &names {
        let _ = vfs::delete_database(backend_of(choice), name).await;
    }
    let alice = Store::open_with(&names[0], choice, config)
        .await
        .expect("open");
    let bob = Store::open_with(&names[1], choice, config)
        .await
        .expect("open");
    let (alice_mls, bob_mls) = (alice.mls(), bob.mls());
    let mut phases = Phases::default();

    let start = performance_now();
    alice_mls.create_identity(b"alice").expect("identity");
    bob_mls.create_identity(b"bob").expect("identity");
    let key_package = bob_mls
        .generate_key_packages(1, false)
        .expect("key package")
        .remove(0)
        .key_package;
    phases.setup_ms = performance_now() - start;

    let start = performance_now();
    let group = alice_mls.create_group(None).expect("group");
    let added = alice_mls.add_members(&group, &[key_package]).expect("add");
    alice_mls.merge_pending_commit(&group).expect("merge");
    let welcome_id = bob_mls.receive_welcome(&added.welcome, 0).expect("receive");
    bob_mls
        .process_welcome(&welcome_id, 0, WelcomeConfig::default())
        .expect("join");
    bob_mls.confirm_welcome(&welcome_id, 0).expect("confirm");
    phases.create_add_welcome_ms = performance_now() - start;

    let start = performance_now();
    for i in 0..MESSAGES {
        let text = format!("message {i}");
        for (from, to) in [(&alice_mls, &bob_mls), (&bob_mls, &alice_mls)] {
            let message = from.encrypt(&group, text.as_bytes()).expect("encrypt");
            match to.process_message(&group, &message).expect("process") {
                Incoming::Application { plaintext, .. } => assert_eq!(plaintext, text.as_bytes()),
                _ => panic!("expected an application message"),
            }
        }
    }
    phases.messages_ms = performance_now() - start;

    for (store, name) in [(alice, &names[0]), (bob, &names[1])] {
        store.close().expect("close");
        let _ = vfs::delete_database(backend_of(choice), name).await;
    }
    phases
}

/// The same steps on OpenMLS's in-memory provider, with messages serialized as they would be on the wire.
fn conversation_in_memory() -> Phases {
    let (alice, bob) = (OpenMlsRustCrypto::default(), OpenMlsRustCrypto::default());
    let mut phases = Phases::default();

    let start = performance_now();
    let (alice_signer, alice_credential) = memory_identity(&alice, b"alice");
    let (bob_signer, bob_credential) = memory_identity(&bob, b"bob");
    let bundle = KeyPackage::builder()
        .build(CIPHERSUITE, &bob, &bob_signer, bob_credential)
        .expect("key package");
    let key_package_bytes = MlsMessageOut::from(bundle.key_package().clone())
        .tls_serialize_detached()
        .expect("encode");
    phases.setup_ms = performance_now() - start;

    let start = performance_now();
    let config = MlsGroupCreateConfig::builder()
        .ciphersuite(CIPHERSUITE)
        .use_ratchet_tree_extension(true)
        .build();
    let mut alice_group =
        MlsGroup::new(&alice, &alice_signer, &config, alice_credential).expect("group");
    let key_package = match MlsMessageIn::tls_deserialize_exact(&key_package_bytes)
        .expect("message")
        .extract()
    {
        MlsMessageBodyIn::KeyPackage(kp) => kp
            .validate(alice.crypto(), ProtocolVersion::Mls10)
            .expect("valid"),
        _ => panic!("expected a key package"),
    };
    let (_commit, welcome, _) = alice_group
        .add_members(&alice, &alice_signer, &[key_package])
        .expect("add");
    alice_group.merge_pending_commit(&alice).expect("merge");
    let welcome_bytes = welcome.tls_serialize_detached().expect("encode");
    let welcome = match MlsMessageIn::tls_deserialize_exact(&welcome_bytes)
        .expect("message")
        .extract()
    {
        MlsMessageBodyIn::Welcome(welcome) => welcome,
        _ => panic!("expected a welcome"),
    };
    let join_config = MlsGroupJoinConfig::builder()
        .use_ratchet_tree_extension(true)
        .build();
    let mut bob_group = StagedWelcome::new_from_welcome(&bob, &join_config, welcome, None)
        .expect("stage")
        .into_group(&bob)
        .expect("join");
    phases.create_add_welcome_ms = performance_now() - start;

    let start = performance_now();
    for i in 0..MESSAGES {
        let text = format!("message {i}");
        let out = alice_group
            .create_message(&alice, &alice_signer, text.as_bytes())
            .expect("encrypt")
            .tls_serialize_detached()
            .expect("encode");
        assert_eq!(decrypt(&mut bob_group, &bob, &out), text.as_bytes());
        let out = bob_group
            .create_message(&bob, &bob_signer, text.as_bytes())
            .expect("encrypt")
            .tls_serialize_detached()
            .expect("encode");
        assert_eq!(decrypt(&mut alice_group, &alice, &out), text.as_bytes());
    }
    phases.messages_ms = performance_now() - start;
    phases
}

fn summary(runs: &[Phases]) -> serde_json::Value {
    let pick = |f: fn(&Phases) -> f64| round(median(runs.iter().map(f).collect()));
    serde_json::json!({
        "setup_ms": pick(|p| p.setup_ms),
        "create_add_welcome_ms": pick(|p| p.create_add_welcome_ms),
        "messages_ms": pick(|p| p.messages_ms),
        "total_ms": pick(Phases::total),
    })
}

#[wasm_bindgen_test]
async fn bench_mls() {
    // One untimed round each warms the allocator and the OPFS pool.
    conversation_in_memory();
    let opfs = BackendChoice::Opfs;
    let defaults = StoreConfig::default();
    conversation_on_store(RUNS, opfs, defaults).await;
    let variants: [(&str, BackendChoice, StoreConfig); 4] = [
        (
            "ours_memory_truncate",
            BackendChoice::Memory,
            StoreConfig {
                journal_mode: JournalMode::Truncate,
                ..defaults
            },
        ),
        ("ours_memory_wal", BackendChoice::Memory, defaults),
        (
            "ours_opfs_truncate_full",
            opfs,
            StoreConfig {
                journal_mode: JournalMode::Truncate,
                ..defaults
            },
        ),
        (
            "ours_opfs_wal_normal",
            opfs,
            StoreConfig {
                synchronous: Synchronous::Normal,
                ..defaults
            },
        ),
    ];
    let mut others = serde_json::Map::new();
    for (label, choice, config) in variants {
        let mut runs = Vec::new();
        for run in 0..RUNS {
            runs.push(conversation_on_store(run, choice, config).await);
        }
        others.insert(label.to_owned(), summary(&runs));
    }
    let (mut ours, mut memory) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        // Alternating keeps any drift of the machine out of the ratio.
        memory.push(conversation_in_memory());
        ours.push(conversation_on_store(run, opfs, defaults).await);
    }
    let ours_summary = summary(&ours);
    let memory_summary = summary(&memory);
    let ratio = |key: &str| {
        round(
            ours_summary[key].as_f64().unwrap_or(0.0) / memory_summary[key].as_f64().unwrap_or(1.0),
        )
    };
    let report = serde_json::json!({
        "benchmark": "mls_conversation",
        "scenario": format!(
            "2 identities, 1 key package, create group, add, merge, welcome (receive+process+confirm), {MESSAGES} messages each way"
        ),
        "runs": RUNS,
        "statistic": "median",
        "ours_opfs": ours_summary,
        "openmls_memory_storage": memory_summary,
        "ratio_total": ratio("total_ms"),
        "ratio_create_add_welcome": ratio("create_add_welcome_ms"),
        "ratio_messages": ratio("messages_ms"),
        "goal_ratio_total": 2.0,
        "variants": others,
    });
    bench_support::report(&report);
}
