-- SFTP drops whose accounts have passwords: the file on the server holding the password (never
-- the password itself). A replica signs in with its key file or its password file.
ALTER TABLE lgsp_replicas ADD COLUMN sftp_password_file TEXT;
-- Each replica's last run: when, and why it failed (NULL when it went through), for its page.
ALTER TABLE lgsp_replicas ADD COLUMN last_run_at BIGINT;
ALTER TABLE lgsp_replicas ADD COLUMN last_error TEXT;
