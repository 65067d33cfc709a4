-- LGSP: the registry of members, subsystems and services, access rights, and the message log
-- of every exchange through the gateway, sealed in signed, chained batches.
CREATE TABLE lgsp_members (
    id TEXT PRIMARY KEY,
    instance TEXT NOT NULL,
    member_class TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (instance, member_class, code)
);

CREATE TABLE lgsp_subsystems (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES lgsp_members(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    -- The OAuth2 client (client credentials) that speaks for this subsystem.
    client_id TEXT,
    -- Requests per minute allowed to this subsystem as a client (0: no limit).
    rate_per_minute BIGINT NOT NULL DEFAULT 0,
    -- The SHA-256 (hex) of the client certificate that proves this subsystem over mutual TLS.
    cert_sha256 TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    UNIQUE (member_id, code)
);
CREATE UNIQUE INDEX lgsp_subsystems_client ON lgsp_subsystems (client_id);

CREATE TABLE lgsp_services (
    id TEXT PRIMARY KEY,
    subsystem_id TEXT NOT NULL REFERENCES lgsp_subsystems(id),
    code TEXT NOT NULL,
    version TEXT NOT NULL,
    name TEXT NOT NULL,
    upstream_url TEXT NOT NULL,
    -- openapi, wsdl or none, and the description itself.
    description_kind TEXT NOT NULL DEFAULT 'none',
    description TEXT,
    -- draft, testing, published, deprecated, retired.
    state TEXT NOT NULL,
    log_bodies BOOLEAN NOT NULL DEFAULT FALSE,
    -- When the upstream is another platform's gateway: how this gateway gets its token there
    -- (OAuth2 client credentials).
    upstream_token_url TEXT,
    upstream_client_id TEXT,
    upstream_client_secret TEXT,
    -- The SOAP bridge of the service, as JSON {mode, version, namespace}; NULL: none.
    soap TEXT,
    timeout_ms BIGINT NOT NULL,
    max_body_bytes BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (subsystem_id, code)
);

CREATE TABLE lgsp_service_history (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES lgsp_services(id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    note TEXT
);
CREATE INDEX lgsp_service_history_service ON lgsp_service_history (service_id, at);

-- Allow-lists: a client subsystem may call a service (optionally one method, a path prefix).
CREATE TABLE lgsp_access (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES lgsp_services(id),
    client_subsystem_id TEXT NOT NULL REFERENCES lgsp_subsystems(id),
    method TEXT,
    path_prefix TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX lgsp_access_service ON lgsp_access (service_id, client_subsystem_id);

-- Other platforms' gateways trusted to speak for members they host: a token of client_id may
-- present any subsystem of that member as the client.
CREATE TABLE lgsp_peers (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    instance TEXT NOT NULL,
    member_class TEXT NOT NULL,
    member_code TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (client_id, instance, member_class, member_code)
);

-- One row per exchange: metadata and body hashes (bodies when the service asks), never changed
-- after it is sealed into a batch.
CREATE TABLE lgsp_messages (
    seq BIGINT PRIMARY KEY,
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
    request_body BYTEA,
    response_body BYTEA,
    batch_seq BIGINT
);
CREATE INDEX lgsp_messages_client ON lgsp_messages (client, at);
CREATE INDEX lgsp_messages_service ON lgsp_messages (service, at);
CREATE INDEX lgsp_messages_unsealed ON lgsp_messages (batch_seq, seq);

-- Sealed batches: the records from_seq..to_seq hashed together, signed with the platform's
-- key over the previous batch's signature, so no record can change, appear or vanish unseen.
CREATE TABLE lgsp_batches (
    seq BIGINT PRIMARY KEY,
    from_seq BIGINT NOT NULL,
    to_seq BIGINT NOT NULL,
    records BIGINT NOT NULL,
    digest TEXT NOT NULL,
    previous_signature TEXT NOT NULL,
    signature TEXT NOT NULL,
    key_id TEXT NOT NULL,
    sealed_at BIGINT NOT NULL,
    -- The SHA-256 of each record, in order, comma separated; the digest is the hash of this.
    record_hashes TEXT NOT NULL
);

-- Pub/sub: event types of a "room" (the publishing subsystem), subscriptions by push (a
-- webhook) or pull, the events, and one delivery per event and subscription, written with the
-- event in one transaction so nothing published is lost.
CREATE TABLE lgsp_event_types (
    id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL REFERENCES lgsp_subsystems(id),
    code TEXT NOT NULL,
    description TEXT,
    -- Subsystems allowed to subscribe, `INSTANCE/CLASS/MEMBER/SUBSYSTEM` one per line; empty:
    -- every registered subsystem.
    allowed_clients TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (room_id, code)
);

CREATE TABLE lgsp_subscriptions (
    id TEXT PRIMARY KEY,
    event_type_id TEXT NOT NULL REFERENCES lgsp_event_types(id),
    subscriber_id TEXT NOT NULL REFERENCES lgsp_subsystems(id),
    -- push or pull
    mode TEXT NOT NULL,
    push_url TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    UNIQUE (event_type_id, subscriber_id)
);

CREATE TABLE lgsp_events (
    id TEXT PRIMARY KEY,
    event_type_id TEXT NOT NULL REFERENCES lgsp_event_types(id),
    published_at BIGINT NOT NULL,
    publisher TEXT NOT NULL,
    payload TEXT NOT NULL
);

CREATE TABLE lgsp_deliveries (
    event_id TEXT NOT NULL REFERENCES lgsp_events(id),
    subscription_id TEXT NOT NULL REFERENCES lgsp_subscriptions(id),
    -- pending, delivered (pushed and answered 2xx, or pulled and acknowledged), dead
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    last_error TEXT,
    delivered_at BIGINT,
    PRIMARY KEY (event_id, subscription_id)
);
CREATE INDEX lgsp_deliveries_due ON lgsp_deliveries (status, next_at);
CREATE INDEX lgsp_deliveries_subscription ON lgsp_deliveries (subscription_id, status, event_id);

-- National data by periodic file replicas: a directory (or SFTP drop) whose JSON or CSV files
-- are imported into a registry on a schedule; every file's import is recorded.
CREATE TABLE lgsp_replicas (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    directory TEXT NOT NULL,
    registry TEXT NOT NULL,
    registry_version TEXT NOT NULL,
    interval_minutes BIGINT NOT NULL,
    next_run_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE lgsp_imports (
    id TEXT PRIMARY KEY,
    replica_id TEXT NOT NULL REFERENCES lgsp_replicas(id),
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    -- ok, partial (some rows refused), failed (the file could not be read)
    status TEXT NOT NULL,
    rows_read BIGINT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    refused BIGINT NOT NULL,
    errors TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX lgsp_imports_replica ON lgsp_imports (replica_id, sha256);

-- Sealed batches moved out of the database into archive files (retention): the chain goes on
-- from the last archived batch's signature, kept here with the file's hash.
CREATE TABLE lgsp_archives (
    id TEXT PRIMARY KEY,
    from_batch BIGINT NOT NULL,
    to_batch BIGINT NOT NULL,
    last_to_seq BIGINT NOT NULL,
    last_signature TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    archived_at BIGINT NOT NULL
);
