-- File replicas fetched over SFTP: `directory` may be an sftp://user@host:port/path address.
-- The private key file (a path on the server, never the key itself) the platform signs in with,
-- and the server's host key fingerprint (SHA256:...), pinned when given or when first seen.
ALTER TABLE lgsp_replicas ADD COLUMN sftp_key_file TEXT;
ALTER TABLE lgsp_replicas ADD COLUMN sftp_host_key TEXT;
-- Each imported file's size and modification time (ms), so that a run does not read again a
-- file it imported with the same name, size and time (most of all over SFTP).
ALTER TABLE lgsp_imports ADD COLUMN size BIGINT;
ALTER TABLE lgsp_imports ADD COLUMN modified BIGINT;
CREATE INDEX lgsp_imports_file ON lgsp_imports (replica_id, file);
