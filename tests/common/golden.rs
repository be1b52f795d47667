//! Golden databases: stores written by a released schema, checked in under `tests/golden/`, that every later
//! build must open, migrate and read back (plain and encrypted, with MLS groups and chat history). A release
//! that adds a migration adds its own set (`bash scripts/update-golden.sh`) and keeps every older one.

use mls_web_store::backend::{Backend, BackendChoice};
use mls_web_store::chat::{MemberRole, NewChannel, NewMessage, PageCursor};
use mls_web_store::mls::{Incoming, WelcomeConfig};
use mls_web_store::store::{Store, StoreConfig, StoreKey};
use mls_web_store::vfs;

use super::{backend_of, cleanup, close_fully, unique_name};

/// The key of the encrypted golden store. Public on purpose: it protects test data only.
pub const GOLDEN_KEY: [u8; 32] = *b"golden-store-key-not-a-secret-32";
const GROUP_ID: &[u8] = b"golden-group";
const CHANNEL: &str = "golden-channel";
const BODIES: [&str; 3] = ["first", "second", "third"];
const PENDING_PLAINTEXT: &[u8] = b"sealed before the upgrade";
const T0: i64 = 1_700_000_000_000;

/// One released schema's golden set.
struct GoldenSet {
    schema_version: u32,
    alice: &'static [u8],
    alice_encrypted: &'static [u8],
    bob: &'static [u8],
}

const GOLDEN_SETS: &[GoldenSet] = &[GoldenSet {
    schema_version: 4,
    alice: include_bytes!("../golden/schema-4/alice.sqlite3"),
    alice_encrypted: include_bytes!("../golden/schema-4/alice-encrypted.sqlite3"),
    bob: include_bytes!("../golden/schema-4/bob.sqlite3"),
}];

async fn open_keyed(name: &str, choice: BackendChoice, key: Option<&StoreKey>) -> Store {
    super::track(name, choice);
    Store::open_with_key(name, choice, StoreConfig::default(), key)
        .await
        .unwrap_or_else(|e| panic!("open golden {name}: {e} ({})", e.code()))
}

fn golden_key() -> StoreKey {
    StoreKey::from_slice(&GOLDEN_KEY).expect("32 bytes")
}

/// Writes the golden set of this build's schema: alice and bob in one MLS group, alice's channel with three
/// messages (one processed), an app key-value entry, and in bob's key-value a message from alice he has not
/// processed yet. Printed as `GOLDEN <file> <hex>` lines for `scripts/update-golden.sh`.
pub async fn golden_generate() {
    let choice = BackendChoice::Memory;
    let (alice_name, bob_name) = (unique_name("golden-alice"), unique_name("golden-bob"));
    let alice_store = open_keyed(&alice_name, choice, None).await;
    let bob_store = open_keyed(&bob_name, choice, None).await;
    let (alice, bob) = (alice_store.mls(), bob_store.mls());
    alice.create_identity(b"alice").unwrap();
    bob.create_identity(b"bob").unwrap();
    let package = bob.generate_key_packages(1, false).unwrap().remove(0);
    alice.create_group(Some(GROUP_ID)).unwrap();
    let added = alice.add_members(GROUP_ID, &[package.key_package]).unwrap();
    alice.merge_pending_commit(GROUP_ID).unwrap();
    let welcome = bob.receive_welcome(&added.welcome, T0).unwrap();
    bob.process_welcome(&welcome, T0, WelcomeConfig::default())
        .unwrap();
    bob.confirm_welcome(&welcome, T0 + 1).unwrap();
    let pending = alice.encrypt(GROUP_ID, PENDING_PLAINTEXT).unwrap();
    bob_store
        .kv_put("golden", "pending", &pending)
        .await
        .unwrap();

    let chat = alice_store.chat();
    chat.create_channel(
        &NewChannel {
            channel_id: CHANNEL.into(),
            name: b"Golden".to_vec(),
            group_id: Some(GROUP_ID.to_vec()),
            creator: b"alice".to_vec(),
        },
        None,
        T0,
    )
    .unwrap();
    chat.add_members(CHANNEL, &[b"bob".to_vec()], MemberRole::Member, T0 + 1)
        .unwrap();
    for (i, body) in BODIES.iter().enumerate() {
        chat.append_message(
            CHANNEL,
            &NewMessage {
                message_id: Some(format!("m{i}")),
                sender: b"alice".to_vec(),
                body: body.as_bytes().to_vec(),
                sent_at_ms: T0 + 10 + i as i64,
            },
            None,
            T0 + 20,
        )
        .unwrap();
    }
    chat.mark_processed(CHANNEL, &[1]).unwrap();
    alice_store.kv_put("app", "cursor", b"42").await.unwrap();

    let version = alice_store.schema_version().unwrap();
    close_fully(alice_store).await;
    close_fully(bob_store).await;
    let print = |file: &str, bytes: &[u8]| {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        wasm_bindgen_test::console_log!("GOLDEN schema-{version}/{file} {hex}");
    };
    print(
        "alice.sqlite3",
        &vfs::export_database(Backend::Memory, &alice_name)
            .await
            .unwrap(),
    );
    print(
        "bob.sqlite3",
        &vfs::export_database(Backend::Memory, &bob_name)
            .await
            .unwrap(),
    );
    // Written in a rollback journal mode, where the plain ones are in WAL: opening both kinds on every
    // backend covers a WAL store opened in another journal mode (IndexedDB) and the reverse (OPFS, memory).
    let rollback = StoreConfig {
        journal_mode: mls_web_store::store::JournalMode::Truncate,
        ..StoreConfig::default()
    };
    let alice_store = Store::open_with_key(&alice_name, choice, rollback, None)
        .await
        .unwrap();
    alice_store.rekey(Some(&golden_key())).unwrap();
    close_fully(alice_store).await;
    print(
        "alice-encrypted.sqlite3",
        &vfs::export_database(Backend::Memory, &alice_name)
            .await
            .unwrap(),
    );
    cleanup(&alice_name, choice).await;
    cleanup(&bob_name, choice).await;
}

/// Alice's golden store reads back as written, and its MLS state still talks to bob's.
async fn check_alice(alice_store: &Store, bob_store: &Store, set: &GoldenSet) {
    let what = format!("schema-{} golden", set.schema_version);
    assert_eq!(
        alice_store.schema_version().unwrap(),
        mls_web_store::schema::latest_version()
    );
    assert_eq!(alice_store.integrity_check().unwrap(), Vec::<String>::new());
    let chat = alice_store.chat();
    let page = chat.page(CHANNEL, PageCursor::After(0), 10).unwrap();
    let bodies: Vec<Vec<u8>> = page.messages.iter().map(|m| m.body.clone()).collect();
    assert_eq!(
        bodies,
        BODIES.map(|b| b.as_bytes().to_vec()).to_vec(),
        "{what}: messages"
    );
    assert_eq!(chat.unprocessed_count(CHANNEL).unwrap(), 2, "{what}");
    assert!(
        chat.is_member(CHANNEL, b"bob").unwrap(),
        "{what}: member hash"
    );
    assert_eq!(
        alice_store.kv_get("app", "cursor").await.unwrap(),
        Some(b"42".to_vec())
    );
    let alice = alice_store.mls();
    assert_eq!(
        alice.identity_info().unwrap().map(|i| i.identity),
        Some(b"alice".to_vec())
    );
    assert_eq!(alice.group_epoch(GROUP_ID).unwrap(), 1, "{what}");
    let text = format!("after the upgrade ({what})");
    let sealed = alice.encrypt(GROUP_ID, text.as_bytes()).unwrap();
    assert_eq!(
        bob_store.mls().process_message(GROUP_ID, &sealed).unwrap(),
        Incoming::Application {
            plaintext: text.into_bytes(),
            sender: b"alice".to_vec()
        }
    );
}

pub async fn golden_databases_open_migrate_and_read_back(choice: BackendChoice) {
    let backend = backend_of(choice);
    for set in GOLDEN_SETS {
        for (alice_bytes, key) in [(set.alice, None), (set.alice_encrypted, Some(golden_key()))] {
            let alice_name = unique_name("golden-alice");
            let bob_name = unique_name("golden-bob");
            vfs::import_database(backend, &alice_name, alice_bytes)
                .await
                .unwrap();
            vfs::import_database(backend, &bob_name, set.bob)
                .await
                .unwrap();
            let alice_store = open_keyed(&alice_name, choice, key.as_ref()).await;
            let bob_store = open_keyed(&bob_name, choice, None).await;
            assert_eq!(alice_store.is_encrypted(), key.is_some());
            // Bob's state from before the upgrade decrypts what alice sealed before it.
            let pending = bob_store
                .kv_get("golden", "pending")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                bob_store.mls().process_message(GROUP_ID, &pending).unwrap(),
                Incoming::Application {
                    plaintext: PENDING_PLAINTEXT.to_vec(),
                    sender: b"alice".to_vec()
                }
            );
            check_alice(&alice_store, &bob_store, set).await;
            close_fully(alice_store).await;
            close_fully(bob_store).await;
            cleanup(&alice_name, choice).await;
            cleanup(&bob_name, choice).await;
        }
    }
}
