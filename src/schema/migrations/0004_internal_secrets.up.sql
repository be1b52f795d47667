-- The store's own state leaves the app's key-value table, where kv_get/kv_put could read and overwrite it:
-- the MLS identity (owned by mls) and the member-hash secret (owned by chat). Each table holds at most one
-- row, and only its owning module's SQL names it.

CREATE TABLE mls_own_identity (
    slot INTEGER PRIMARY KEY CHECK (slot = 0),
    value BLOB NOT NULL,
    created_at_ms INTEGER NOT NULL
);
INSERT INTO mls_own_identity (slot, value, created_at_ms)
    SELECT 0, value, updated_at_ms FROM kv_entries WHERE namespace = 'mls' AND entry_key = 'identity';
DELETE FROM kv_entries WHERE namespace = 'mls' AND entry_key = 'identity';

CREATE TABLE chat_member_hash_secret (
    slot INTEGER PRIMARY KEY CHECK (slot = 0),
    secret BLOB NOT NULL CHECK (length(secret) = 32)
);
INSERT INTO chat_member_hash_secret (slot, secret)
    SELECT 0, value FROM kv_entries
    WHERE namespace = 'store' AND entry_key = 'member_hash_key' AND length(value) = 32;
DELETE FROM kv_entries WHERE namespace = 'store' AND entry_key = 'member_hash_key';
