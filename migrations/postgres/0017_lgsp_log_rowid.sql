-- The index of unsealed records keeps only those (a partial index): the log's writer seals
-- what it writes, so the index is empty in normal running and costs nothing per record.
-- (On SQLite this migration also makes `seq` the table's rowid; PostgreSQL's primary key on
-- `seq` is already the one index it needs.)
DROP INDEX lgsp_messages_unsealed;
CREATE INDEX lgsp_messages_unsealed ON lgsp_messages (seq) WHERE batch_seq IS NULL;
