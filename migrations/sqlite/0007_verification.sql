-- One-time codes and links: e-mail and phone verification, password reset. Only the SHA-256
-- of the secret is stored.
CREATE TABLE verification_codes (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    purpose TEXT NOT NULL,
    target TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX verification_codes_account ON verification_codes(account_id, purpose, created_at);
