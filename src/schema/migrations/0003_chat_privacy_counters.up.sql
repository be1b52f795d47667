-- Members are keyed by a keyed hash of their identity (equality is all the primary key needs); the identity
-- itself is kept beside it for listing. Channels keep a count of their unprocessed messages so that counting
-- them does not scan.

ALTER TABLE chat_members ADD COLUMN identity BLOB;
ALTER TABLE chat_channels ADD COLUMN unprocessed INTEGER NOT NULL DEFAULT 0 CHECK (unprocessed >= 0);
UPDATE chat_channels SET unprocessed = (
    SELECT count(*) FROM chat_messages m WHERE m.channel_id = chat_channels.channel_id AND m.processed = 0
);
