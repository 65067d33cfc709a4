-- File replicas fetched over SFTP: `directory` may be an sftp://user@host:port/path address.
-- The private key file (a path on the server, never the key itself) the platform signs in with,
-- and the server's host key fingerprint (SHA256:...), pinned when given or when first seen.
ALTER TABLE lgsp_replicas ADD COLUMN sftp_key_file TEXT;
ALTER TABLE lgsp_replicas ADD COLUMN sftp_host_key TEXT;
