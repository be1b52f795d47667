-- index chat_channels_by_archived
CREATE INDEX chat_channels_by_archived ON chat_channels (archived_at_ms IS NOT NULL, created_at_ms);

-- index chat_idempotency_by_expiry
CREATE INDEX chat_idempotency_by_expiry ON chat_idempotency (expires_at_ms);

-- index chat_messages_by_message_id
CREATE UNIQUE INDEX chat_messages_by_message_id ON chat_messages (message_id);

-- index chat_messages_unprocessed
CREATE INDEX chat_messages_unprocessed ON chat_messages (channel_id, seq) WHERE processed = 0;

-- index chat_welcomes_in_flight
CREATE INDEX chat_welcomes_in_flight ON chat_welcomes (in_flight_since_ms) WHERE state = 'in_flight';

-- index mls_own_leaf_nodes_by_group
CREATE INDEX mls_own_leaf_nodes_by_group ON mls_own_leaf_nodes (group_id, id);

-- table chat_channels
CREATE TABLE chat_channels (
    channel_id TEXT PRIMARY KEY NOT NULL,
    group_id BLOB,
    name BLOB,
    created_at_ms INTEGER NOT NULL,
    archived_at_ms INTEGER,
    last_seq INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0)
, unprocessed INTEGER NOT NULL DEFAULT 0 CHECK (unprocessed >= 0)) WITHOUT ROWID;

-- table chat_idempotency
CREATE TABLE chat_idempotency (
    idempotency_key TEXT PRIMARY KEY NOT NULL,
    request_hash BLOB NOT NULL,
    response BLOB NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);

-- table chat_member_hash_secret
CREATE TABLE chat_member_hash_secret (
    slot INTEGER PRIMARY KEY CHECK (slot = 0),
    secret BLOB NOT NULL CHECK (length(secret) = 32)
);

-- table chat_members
CREATE TABLE chat_members (
    channel_id TEXT NOT NULL REFERENCES chat_channels (channel_id) ON DELETE CASCADE,
    member BLOB NOT NULL,
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('creator', 'admin', 'member')),
    joined_at_ms INTEGER NOT NULL,
    left_at_ms INTEGER, identity BLOB,
    PRIMARY KEY (channel_id, member)
) WITHOUT ROWID;

-- table chat_messages
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

-- table chat_welcomes
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

-- table kv_entries
CREATE TABLE kv_entries (
    namespace TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    value BLOB NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (namespace, entry_key)
);

-- table mls_encryption_keys
CREATE TABLE mls_encryption_keys (
    public_key BLOB PRIMARY KEY NOT NULL,
    key_pair BLOB NOT NULL,
    provider_version INTEGER NOT NULL
) WITHOUT ROWID;

-- table mls_epoch_key_pairs
CREATE TABLE mls_epoch_key_pairs (
    group_id BLOB NOT NULL,
    epoch_id BLOB NOT NULL,
    leaf_index INTEGER NOT NULL,
    key_pairs BLOB NOT NULL,
    provider_version INTEGER NOT NULL,
    PRIMARY KEY (group_id, epoch_id, leaf_index)
);

-- table mls_group_data
CREATE TABLE mls_group_data (
    group_id BLOB NOT NULL,
    data_type TEXT NOT NULL CHECK (data_type IN (
        'join_group_config',
        'tree',
        'interim_transcript_hash',
        'context',
        'confirmation_tag',
        'group_state',
        'message_secrets',
        'resumption_psk_store',
        'own_leaf_index',
        'group_epoch_secrets',
        'application_export_tree'
    )),
    group_data BLOB NOT NULL,
    provider_version INTEGER NOT NULL,
    PRIMARY KEY (group_id, data_type)
);

-- table mls_key_packages
CREATE TABLE mls_key_packages (
    key_package_ref BLOB PRIMARY KEY NOT NULL,
    key_package BLOB NOT NULL,
    is_last_resort INTEGER NOT NULL DEFAULT 0 CHECK (is_last_resort IN (0, 1)),
    state TEXT NOT NULL DEFAULT 'available' CHECK (state IN ('available', 'used')),
    used_at_ms INTEGER,
    provider_version INTEGER NOT NULL,
    CHECK ((state = 'used') = (used_at_ms IS NOT NULL))
);

-- table mls_own_identity
CREATE TABLE mls_own_identity (
    slot INTEGER PRIMARY KEY CHECK (slot = 0),
    value BLOB NOT NULL,
    created_at_ms INTEGER NOT NULL
);

-- table mls_own_leaf_nodes
CREATE TABLE mls_own_leaf_nodes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id BLOB NOT NULL,
    leaf_node BLOB NOT NULL,
    provider_version INTEGER NOT NULL
);

-- table mls_proposals
CREATE TABLE mls_proposals (
    group_id BLOB NOT NULL,
    proposal_ref BLOB NOT NULL,
    proposal BLOB NOT NULL,
    provider_version INTEGER NOT NULL,
    PRIMARY KEY (group_id, proposal_ref)
);

-- table mls_psks
CREATE TABLE mls_psks (
    psk_id BLOB PRIMARY KEY NOT NULL,
    psk_bundle BLOB NOT NULL,
    provider_version INTEGER NOT NULL
) WITHOUT ROWID;

-- table mls_signature_keys
CREATE TABLE mls_signature_keys (
    public_key BLOB PRIMARY KEY NOT NULL,
    signature_key BLOB NOT NULL,
    provider_version INTEGER NOT NULL
) WITHOUT ROWID;

-- table schema_history
CREATE TABLE schema_history (
    version INTEGER PRIMARY KEY NOT NULL CHECK (version > 0),
    description TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at_ms INTEGER NOT NULL
);
