//! Privacy at rest: an encrypted store's file holds no message body, sender or channel name; a wrong or
//! missing key is a typed error; rekeying moves the store to a new key.

use mls_web_store::backend::BackendChoice;
use mls_web_store::backup::ImportOptions;
use mls_web_store::store::{Store, StoreConfig, StoreError, StoreKey};
use mls_web_store::vfs;

use super::chat::{message, new_channel, T0};
use super::{backend_of, cleanup, close_fully, unique_name};

const BODY: &str = "the-secret-body-7f3a9c";
const SENDER: &[u8] = b"sender-identity-4b1d";
const CHANNEL_NAME: &[u8] = b"channel-name-e2c8";

fn key(fill: u8) -> StoreKey {
    StoreKey::from_slice(&[fill; 32]).unwrap()
}

async fn open_keyed(
    name: &str,
    choice: BackendChoice,
    key: Option<&StoreKey>,
) -> Result<Store, StoreError> {
    super::track(name, choice);
    Store::open_with_key(name, choice, StoreConfig::default(), key).await
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn write_secrets(store: &Store) {
    let chat = store.chat();
    let mut channel = new_channel("c", SENDER);
    channel.name = CHANNEL_NAME.to_vec();
    chat.create_channel(&channel, None, T0).unwrap();
    let messages: Vec<_> = (0..200).map(|_| message(None, SENDER, BODY)).collect();
    chat.append_messages("c", &messages, None, T0).unwrap();
}

/// The raw bytes of a closed store's database file.
async fn raw_file(name: &str, choice: BackendChoice) -> Vec<u8> {
    vfs::export_database(backend_of(choice), name)
        .await
        .expect("export raw file")
}

fn leaks(file: &[u8]) -> bool {
    contains(file, BODY.as_bytes()) || contains(file, SENDER) || contains(file, CHANNEL_NAME)
}

pub async fn encrypted_store_file_holds_no_plaintext(choice: BackendChoice) {
    // Control: without a key the scan does find the plaintext, so the scan itself works.
    let plain = unique_name("plain");
    let store = open_keyed(&plain, choice, None).await.unwrap();
    assert!(!store.is_encrypted());
    write_secrets(&store);
    close_fully(store).await;
    assert!(leaks(&raw_file(&plain, choice).await));
    cleanup(&plain, choice).await;

    let name = unique_name("encrypted");
    let store = open_keyed(&name, choice, Some(&key(7))).await.unwrap();
    assert!(store.is_encrypted());
    write_secrets(&store);
    close_fully(store).await;
    let file = raw_file(&name, choice).await;
    assert!(
        file.len() > 8192 * 4,
        "the file holds the data ({} bytes)",
        file.len()
    );
    assert!(!leaks(&file), "plaintext found in the encrypted file");
    assert!(
        !file.starts_with(b"SQLite format 3"),
        "even the header is encrypted"
    );

    let wrong = open_keyed(&name, choice, Some(&key(8)))
        .await
        .err()
        .expect("wrong key refused");
    assert_eq!(wrong.code(), "WRONG_KEY");
    let missing = open_keyed(&name, choice, None)
        .await
        .err()
        .expect("missing key refused");
    assert_eq!(missing.code(), "DATABASE_CORRUPT");
    let store = open_keyed(&name, choice, Some(&key(7))).await.unwrap();
    assert_eq!(store.chat().message_count("c").unwrap(), 200);
    assert!(store.integrity_check().unwrap().is_empty());
    close_fully(store).await;
    cleanup(&name, choice).await;
}

pub async fn rekey_moves_the_store_to_a_new_key(choice: BackendChoice) {
    let name = unique_name("rekey");
    let store = open_keyed(&name, choice, None).await.unwrap();
    write_secrets(&store);
    // Plaintext → encrypted.
    store.rekey(Some(&key(1))).unwrap();
    assert!(store.is_encrypted());
    store
        .chat()
        .append_message("c", &message(None, SENDER, BODY), None, T0)
        .unwrap();
    close_fully(store).await;
    assert!(!leaks(&raw_file(&name, choice).await));

    // Key 1 → key 2; the old key no longer opens it.
    let store = open_keyed(&name, choice, Some(&key(1))).await.unwrap();
    store.rekey(Some(&key(2))).unwrap();
    close_fully(store).await;
    assert_eq!(
        open_keyed(&name, choice, Some(&key(1)))
            .await
            .err()
            .unwrap()
            .code(),
        "WRONG_KEY"
    );
    let store = open_keyed(&name, choice, Some(&key(2))).await.unwrap();
    assert_eq!(store.chat().message_count("c").unwrap(), 201);
    assert!(store.integrity_check().unwrap().is_empty());
    // Encrypted → plaintext.
    store.rekey(None).unwrap();
    close_fully(store).await;
    let store = open_keyed(&name, choice, None).await.unwrap();
    assert_eq!(store.chat().message_count("c").unwrap(), 201);
    close_fully(store).await;
    cleanup(&name, choice).await;
}

/// A backup of an encrypted store imports into another encrypted store (another key), which stays encrypted.
pub async fn encrypted_backup_imports_into_an_encrypted_store(choice: BackendChoice) {
    let source_name = unique_name("enc-src");
    let source = open_keyed(&source_name, choice, Some(&key(3)))
        .await
        .unwrap();
    write_secrets(&source);
    let archive = source
        .export_backup(mls_web_store::backup::ExportOptions::default(), &mut |_| {})
        .await
        .unwrap();
    close_fully(source).await;
    let target_name = unique_name("enc-dst");
    let target = open_keyed(&target_name, choice, Some(&key(4)))
        .await
        .unwrap();
    target
        .import_backup(&archive, &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(target.chat().message_count("c").unwrap(), 200);
    close_fully(target).await;
    assert!(
        !leaks(&raw_file(&target_name, choice).await),
        "the imported store is encrypted"
    );
    let target = open_keyed(&target_name, choice, Some(&key(4)))
        .await
        .unwrap();
    assert_eq!(target.chat().message_count("c").unwrap(), 200);
    assert!(target.integrity_check().unwrap().is_empty());
    close_fully(target).await;
    cleanup(&source_name, choice).await;
    cleanup(&target_name, choice).await;
}
