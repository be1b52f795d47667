//! Release benchmark of catching up: 1,000 application messages queued across 10 groups, processed and their
//! plaintexts stored durably by one catch-up call on OPFS, beside the same OpenMLS processing on OpenMLS's
//! `MemoryStorage` without storing anything, and beside the one-message-at-a-time way (process, then append:
//! two transactions per message). The three recipients are members of the same groups and get the same
//! ciphertexts. Not a test: it runs only with `--features bench` (`scripts/bench.sh bench_catch_up`) and
//! prints one JSON line prefixed `BENCH_JSON `.
#![cfg(target_family = "wasm")]

mod bench_support;

use bench_support::mls::{decrypt, memory_identity};
use bench_support::{median, performance_now, round};
use mls_web_store::backend::{Backend, BackendChoice};
use mls_web_store::catch_up::{Inbox, IncomingMessage, Processed};
use mls_web_store::chat::{NewChannel, NewMessage};
use mls_web_store::mls::{Incoming, WelcomeConfig, CIPHERSUITE};
use mls_web_store::store::Store;
use mls_web_store::vfs;
use openmls::prelude::tls_codec::{Deserialize as _, Serialize as _};
use openmls::prelude::*;
use openmls_rust_crypto::OpenMlsRustCrypto;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

const GROUPS: usize = 10;
const PER_GROUP: usize = 100;
const RUNS: usize = 3;
/// A short chat message, as in the chat benchmarks.
const BODY_LEN: usize = 160;

/// Ten groups of Alice (on OpenMLS's memory provider, the sender), a memory-provider recipient and two
/// store recipients, and the ciphertexts Alice sent to each group.
struct World {
    memory: OpenMlsRustCrypto,
    memory_groups: Vec<MlsGroup>,
    batch: Store,
    single: Store,
    names: [String; 2],
    group_ids: Vec<Vec<u8>>,
    queued: Vec<Vec<Vec<u8>>>,
}

fn key_package_in(bytes: &[u8], provider: &OpenMlsRustCrypto) -> KeyPackage {
    match MlsMessageIn::tls_deserialize_exact(bytes)
        .expect("message")
        .extract()
    {
        MlsMessageBodyIn::KeyPackage(kp) => kp
            .validate(provider.crypto(), ProtocolVersion::Mls10)
            .expect("valid"),
        _ => panic!("expected a key package"),
    }
}

async fn recipient_store(name: &str) -> Store {
    let _ = vfs::delete_database(Backend::Opfs, name).await;
    let store = Store::open(name, BackendChoice::Opfs).await.expect("open");
    store.mls().create_identity(b"bob").expect("identity");
    store
}

fn join(store: &Store, welcome: &[u8], channel_id: &str) -> Vec<u8> {
    let mls = store.mls();
    let welcome_id = mls.receive_welcome(welcome, 0).expect("receive");
    let group_id = mls
        .process_welcome(&welcome_id, 0, WelcomeConfig::default())
        .expect("join");
    mls.confirm_welcome(&welcome_id, 0).expect("confirm");
    store
        .chat()
        .create_channel(
            &NewChannel {
                channel_id: channel_id.to_owned(),
                name: Vec::new(),
                group_id: Some(group_id.clone()),
                creator: b"alice".to_vec(),
            },
            None,
            0,
        )
        .expect("channel");
    group_id
}

async fn world(run: usize) -> World {
    let names = [
        format!("bench-cu-batch-{run}"),
        format!("bench-cu-single-{run}"),
    ];
    let batch = recipient_store(&names[0]).await;
    let single = recipient_store(&names[1]).await;
    let alice = OpenMlsRustCrypto::default();
    let (alice_signer, alice_credential) = memory_identity(&alice, b"alice");
    let memory = OpenMlsRustCrypto::default();
    let (memory_signer, memory_credential) = memory_identity(&memory, b"bob");
    let batch_packages = batch
        .mls()
        .generate_key_packages(GROUPS as u32, false)
        .expect("key packages");
    let single_packages = single
        .mls()
        .generate_key_packages(GROUPS as u32, false)
        .expect("key packages");
    let config = MlsGroupCreateConfig::builder()
        .ciphersuite(CIPHERSUITE)
        .use_ratchet_tree_extension(true)
        .build();
    let join_config = MlsGroupJoinConfig::builder()
        .use_ratchet_tree_extension(true)
        .build();
    let (mut memory_groups, mut group_ids, mut queued) = (Vec::new(), Vec::new(), Vec::new());
    for g in 0..GROUPS {
        let mut group =
            MlsGroup::new(&alice, &alice_signer, &config, alice_credential.clone()).expect("group");
        let memory_package = KeyPackage::builder()
            .build(
                CIPHERSUITE,
                &memory,
                &memory_signer,
                memory_credential.clone(),
            )
            .expect("key package")
            .key_package()
            .clone();
        let packages = [
            memory_package,
            key_package_in(&batch_packages[g].key_package, &alice),
            key_package_in(&single_packages[g].key_package, &alice),
        ];
        let (_commit, welcome, _) = group
            .add_members(&alice, &alice_signer, &packages)
            .expect("add");
        group.merge_pending_commit(&alice).expect("merge");
        let welcome = welcome.tls_serialize_detached().expect("encode");
        let channel_id = format!("c{g}");
        group_ids.push(join(&batch, &welcome, &channel_id));
        join(&single, &welcome, &channel_id);
        let MlsMessageBodyIn::Welcome(memory_welcome) =
            MlsMessageIn::tls_deserialize_exact(&welcome)
                .expect("welcome")
                .extract()
        else {
            panic!("expected a welcome");
        };
        memory_groups.push(
            StagedWelcome::new_from_welcome(&memory, &join_config, memory_welcome, None)
                .expect("stage")
                .into_group(&memory)
                .expect("join"),
        );
        queued.push(
            (0..PER_GROUP)
                .map(|i| {
                    let body: Vec<u8> = (0..BODY_LEN).map(|j| (i * 31 + j + g) as u8).collect();
                    group
                        .create_message(&alice, &alice_signer, &body)
                        .expect("encrypt")
                        .tls_serialize_detached()
                        .expect("encode")
                })
                .collect(),
        );
    }
    World {
        memory,
        memory_groups,
        batch,
        single,
        names,
        group_ids,
        queued,
    }
}

/// OpenMLS alone: every message decoded and processed on the memory provider, nothing stored.
fn process_in_memory(world: &mut World) -> f64 {
    let start = performance_now();
    for (group, queue) in world.memory_groups.iter_mut().zip(&world.queued) {
        for bytes in queue {
            assert_eq!(decrypt(group, &world.memory, bytes).len(), BODY_LEN);
        }
    }
    performance_now() - start
}

/// One catch-up call, durable when it returns.
async fn process_in_one_call(world: &World) -> f64 {
    let inboxes: Vec<Inbox> = world
        .group_ids
        .iter()
        .zip(&world.queued)
        .enumerate()
        .map(|(g, (group_id, queue))| Inbox {
            group_id: group_id.clone(),
            channel_id: format!("c{g}"),
            messages: queue
                .iter()
                .enumerate()
                .map(|(i, bytes)| IncomingMessage {
                    message: bytes.clone(),
                    message_id: Some(format!("g{g}-m{i}")),
                    sent_at_ms: Some(i as i64),
                })
                .collect(),
        })
        .collect();
    let start = performance_now();
    let results = world.batch.catch_up().process(&inboxes).expect("catch up");
    world.batch.sync().await.expect("durable");
    let elapsed = performance_now() - start;
    let stored = results
        .iter()
        .flatten()
        .filter(|r| matches!(r, Processed::Application { .. }))
        .count();
    assert_eq!(stored, GROUPS * PER_GROUP);
    elapsed
}

/// The way without the catch-up API: process one message (a transaction), then append its plaintext
/// (another), each durable before the next.
async fn process_one_by_one(world: &World) -> f64 {
    let (mls, chat) = (world.single.mls(), world.single.chat());
    let start = performance_now();
    for (g, (group_id, queue)) in world.group_ids.iter().zip(&world.queued).enumerate() {
        let channel_id = format!("c{g}");
        for (i, bytes) in queue.iter().enumerate() {
            let Incoming::Application { plaintext, sender } =
                mls.process_message(group_id, bytes).expect("process")
            else {
                panic!("expected an application message");
            };
            let message = NewMessage {
                message_id: Some(format!("g{g}-m{i}")),
                sender,
                body: plaintext,
                sent_at_ms: i as i64,
            };
            chat.append_message(&channel_id, &message, None, 0)
                .expect("append");
            world.single.sync().await.expect("durable");
        }
    }
    performance_now() - start
}

async fn close(world: World) {
    for (store, name) in [
        (world.batch, &world.names[0]),
        (world.single, &world.names[1]),
    ] {
        store.close().expect("close");
        let _ = vfs::delete_database(Backend::Opfs, name).await;
    }
}

#[wasm_bindgen_test]
async fn bench_catch_up() {
    // One untimed round warms the allocator and the OPFS pool.
    let mut warm = world(RUNS).await;
    process_in_memory(&mut warm);
    process_in_one_call(&warm).await;
    close(warm).await;
    let (mut memory, mut batch, mut single) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..RUNS {
        let mut world = world(run).await;
        // Alternating keeps any drift of the machine out of the ratio.
        memory.push(process_in_memory(&mut world));
        batch.push(process_in_one_call(&world).await);
        single.push(process_one_by_one(&world).await);
        close(world).await;
    }
    let (memory, batch, single) = (median(memory), median(batch), median(single));
    let report = serde_json::json!({
        "benchmark": "mls_catch_up",
        "scenario": format!(
            "{} application messages ({BODY_LEN}-byte plaintexts) queued across {GROUPS} groups, processed and stored in one call on OPFS (WAL, synchronous FULL)",
            GROUPS * PER_GROUP
        ),
        "runs": RUNS,
        "statistic": "median",
        "openmls_memory_storage_ms": memory,
        "ours_opfs_one_call_ms": batch,
        "ours_opfs_one_by_one_ms": single,
        "ratio_one_call": round(batch / memory),
        "ratio_one_by_one": round(single / memory),
        "goal_ratio_one_call": 1.3,
    });
    bench_support::report(&report);
}
