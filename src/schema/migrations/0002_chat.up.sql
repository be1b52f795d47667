-- Chat persistence. Columns that could reveal content (names, bodies, sender identities) are BLOBs: they hold
-- ciphertext or keyed hashes, never plaintext.

CREATE TABLE chat_channels (
    channel_id TEXT PRIMARY KEY NOT NULL,
    group_id BLOB,
    name BLOB,
    created_at_ms INTEGER NOT NULL,
    archived_at_ms INTEGER,
    last_seq INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0)
) WITHOUT ROWID;
CREATE INDEX chat_channels_by_archived ON chat_channels (archived_at_ms IS NOT NULL, created_at_ms);

CREATE TABLE chat_messages (
    channel_id TEXT NOT NULL REFERENCES chat_channels (channel_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL CHECK (seq > 0),
    message_id TEXT NOT NULL,
    sender BLOB NOT NULL,
    body BLOB NOT NULL,
    sent_at_ms INTEGER NOT NULL,
    stored_at_ms INTEGER NOT NULL,
    processed INTEGER NOT NULL DEFAULT 0 CHECK (processed IN (0, 1)),
    PRIMARY KEY (channel_id, seq)
);
CREATE UNIQUE INDEX chat_messages_by_message_id ON chat_messages (message_id);
CREATE INDEX chat_messages_unprocessed ON chat_messages (channel_id, seq) WHERE processed = 0;

CREATE TABLE chat_members (
    channel_id TEXT NOT NULL REFERENCES chat_channels (channel_id) ON DELETE CASCADE,
    member BLOB NOT NULL,
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('creator', 'admin', 'member')),
    joined_at_ms INTEGER NOT NULL,
    left_at_ms INTEGER,
    PRIMARY KEY (channel_id, member)
) WITHOUT ROWID;

CREATE TABLE chat_idempotency (
    idempotency_key TEXT PRIMARY KEY NOT NULL,
    request_hash BLOB NOT NULL,
    response BLOB NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX chat_idempotency_by_expiry ON chat_idempotency (expires_at_ms);

CREATE TABLE chat_welcomes (
    welcome_id TEXT PRIMARY KEY NOT NULL,
    welcome BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'in_flight', 'confirmed', 'expired')),
    key_package_ref BLOB,
    protected_key_package BLOB,
    group_id BLOB,
    received_at_ms INTEGER NOT NULL,
    in_flight_since_ms INTEGER,
    confirmed_at_ms INTEGER
);
CREATE INDEX chat_welcomes_in_flight ON chat_welcomes (in_flight_since_ms) WHERE state = 'in_flight';

CREATE TABLE kv_entries (
    namespace TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    value BLOB NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (namespace, entry_key)
);
