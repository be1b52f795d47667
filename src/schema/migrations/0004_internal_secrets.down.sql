-- Back to version 3, where both lived in kv_entries. An app value written since under the same namespace and
-- key gives way: version 3 reads its own state there.
INSERT OR REPLACE INTO kv_entries (namespace, entry_key, value, updated_at_ms)
    SELECT 'mls', 'identity', value, created_at_ms FROM mls_own_identity;
INSERT OR REPLACE INTO kv_entries (namespace, entry_key, value, updated_at_ms)
    SELECT 'store', 'member_hash_key', secret, 0 FROM chat_member_hash_secret;
DROP TABLE chat_member_hash_secret;
DROP TABLE mls_own_identity;
