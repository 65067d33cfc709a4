-- How many records each archive file holds, and which node's disk holds it (archives made on
-- a schedule go to each node's own archive directory). Unknown for archives made before.
ALTER TABLE lgsp_archives ADD COLUMN records BIGINT;
ALTER TABLE lgsp_archives ADD COLUMN node TEXT;
