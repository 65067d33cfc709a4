-- The message log keyed by its own row number: `seq` becomes the table's rowid (INTEGER
-- PRIMARY KEY), so a record is written into one B-tree fewer (no separate unique index on
-- `seq`), and ranges of records are read straight from the table.
-- The index of unsealed records keeps only those (a partial index): the log's writer seals
-- what it writes, so the index is empty in normal running and costs nothing per record.
CREATE TABLE lgsp_messages_new (
    seq INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    client TEXT NOT NULL,
    service TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status BIGINT NOT NULL,
    error TEXT,
    request_hash TEXT NOT NULL,
    response_hash TEXT NOT NULL,
    request_bytes BIGINT NOT NULL,
    response_bytes BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    user_id TEXT,
    request_body BLOB,
    response_body BLOB,
    batch_seq BIGINT
);
INSERT INTO lgsp_messages_new (seq, request_id, at, client, service, method, path, status, error, request_hash, response_hash,
    request_bytes, response_bytes, duration_ms, user_id, request_body, response_body, batch_seq)
SELECT seq, request_id, at, client, service, method, path, status, error, request_hash, response_hash,
    request_bytes, response_bytes, duration_ms, user_id, request_body, response_body, batch_seq
FROM lgsp_messages ORDER BY seq;
DROP TABLE lgsp_messages;
ALTER TABLE lgsp_messages_new RENAME TO lgsp_messages;
CREATE INDEX lgsp_messages_client ON lgsp_messages (client, at);
CREATE INDEX lgsp_messages_service ON lgsp_messages (service, at);
CREATE INDEX lgsp_messages_at ON lgsp_messages (at);
CREATE INDEX lgsp_messages_unsealed ON lgsp_messages (seq) WHERE batch_seq IS NULL;
