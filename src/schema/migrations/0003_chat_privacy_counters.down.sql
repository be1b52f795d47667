ALTER TABLE chat_channels DROP COLUMN unprocessed;
ALTER TABLE chat_members DROP COLUMN identity;
