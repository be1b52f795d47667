-- OpenMLS storage: one table per entity the StorageProvider trait stores. Keys and values are the provider
-- codec's bytes; provider_version records the StorageProvider version that wrote each row. Tables of small
-- rows are WITHOUT ROWID (one b-tree); tables whose values can be large (trees, key packages) keep a rowid so
-- big values overflow cheaply.

CREATE TABLE mls_encryption_keys (
    public_key BLOB PRIMARY KEY NOT NULL,
    key_pair BLOB NOT NULL,
    provider_version INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE mls_epoch_key_pairs (
    group_id BLOB NOT NULL,
    epoch_id BLOB NOT NULL,
    leaf_index INTEGER NOT NULL,
    key_pairs BLOB NOT NULL,
    provider_version INTEGER NOT NULL,
    PRIMARY KEY (group_id, epoch_id, leaf_index)
);

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

CREATE TABLE mls_key_packages (
    key_package_ref BLOB PRIMARY KEY NOT NULL,
    key_package BLOB NOT NULL,
    is_last_resort INTEGER NOT NULL DEFAULT 0 CHECK (is_last_resort IN (0, 1)),
    state TEXT NOT NULL DEFAULT 'available' CHECK (state IN ('available', 'used')),
    used_at_ms INTEGER,
    provider_version INTEGER NOT NULL,
    CHECK ((state = 'used') = (used_at_ms IS NOT NULL))
);

CREATE TABLE mls_own_leaf_nodes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id BLOB NOT NULL,
    leaf_node BLOB NOT NULL,
    provider_version INTEGER NOT NULL
);
CREATE INDEX mls_own_leaf_nodes_by_group ON mls_own_leaf_nodes (group_id, id);

CREATE TABLE mls_proposals (
    group_id BLOB NOT NULL,
    proposal_ref BLOB NOT NULL,
    proposal BLOB NOT NULL,
    provider_version INTEGER NOT NULL,
    PRIMARY KEY (group_id, proposal_ref)
);

CREATE TABLE mls_psks (
    psk_id BLOB PRIMARY KEY NOT NULL,
    psk_bundle BLOB NOT NULL,
    provider_version INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE mls_signature_keys (
    public_key BLOB PRIMARY KEY NOT NULL,
    signature_key BLOB NOT NULL,
    provider_version INTEGER NOT NULL
) WITHOUT ROWID;
