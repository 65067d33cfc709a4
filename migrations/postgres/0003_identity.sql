-- Identity: accounts of citizens, businesses and officials; roles held at agencies; browser
-- sessions; the append-only security audit log.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    login TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    citizen_id TEXT UNIQUE,
    tax_code TEXT UNIQUE,
    business_name TEXT,
    agency_id TEXT REFERENCES agencies(id),
    position TEXT,
    password_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    phone_verified BOOLEAN NOT NULL DEFAULT FALSE,
    totp_secret TEXT,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX accounts_agency ON accounts(agency_id);
CREATE UNIQUE INDEX accounts_email ON accounts(email) WHERE email IS NOT NULL;

-- People who act for a business (người đại diện), identified by their personal number.
CREATE TABLE business_representatives (
    business_id TEXT NOT NULL REFERENCES accounts(id),
    citizen_id TEXT NOT NULL,
    full_name TEXT NOT NULL,
    position TEXT,
    PRIMARY KEY (business_id, citizen_id)
);

CREATE TABLE role_grants (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    role TEXT NOT NULL,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    include_children BOOLEAN NOT NULL DEFAULT FALSE,
    granted_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, role, agency_id)
);

-- Sessions are looked up by the SHA-256 of the cookie value; the value itself is never stored.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    csrf_token TEXT NOT NULL,
    mfa BOOLEAN NOT NULL DEFAULT FALSE,
    user_agent TEXT,
    ip TEXT,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE security_events (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    account_id TEXT,
    actor TEXT,
    ip TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX security_events_at ON security_events(at);
CREATE INDEX security_events_account ON security_events(account_id, at);

CREATE FUNCTION security_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the security audit log is append-only'; END $$;
CREATE TRIGGER security_events_no_change BEFORE UPDATE OR DELETE ON security_events
FOR EACH ROW EXECUTE FUNCTION security_events_append_only();
