-- Document management (quản lý văn bản và điều hành) and inter-agency exchange with edXML.

-- Registers (sổ văn bản): incoming or outgoing, per agency; numbers restart every year and
-- come from the `counters` table (scope `docreg`, key `<register id>/<year>`).
CREATE TABLE doc_registers (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    direction TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    -- Outgoing registers: the notation after the number and document type, e.g. `UBND-VP`.
    notation TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    UNIQUE (agency_id, code)
);

-- Documents, incoming (văn bản đến) and outgoing (văn bản đi).
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    direction TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
    register_id TEXT REFERENCES doc_registers(id),
    reg_year BIGINT,
    reg_number BIGINT,
    -- The document's own number and notation (the sender's for incoming ones).
    code_number TEXT,
    code_notation TEXT,
    doc_type BIGINT NOT NULL,
    type_name TEXT NOT NULL,
    subject TEXT NOT NULL,
    content TEXT,
    sender_organ_id TEXT,
    sender_name TEXT,
    promulgation_date TEXT,
    promulgation_place TEXT,
    signer_name TEXT,
    signer_position TEXT,
    priority BIGINT NOT NULL DEFAULT 0,
    due_date TEXT,
    state TEXT NOT NULL,
    -- exchange, upload or typed (incoming); drafted (outgoing).
    source TEXT NOT NULL,
    -- The edXML DocumentId (`OrganId,yyyy/MM/dd,Number/Notation`).
    edxml_id TEXT,
    -- Outgoing: the document it revokes, updates or replaces, and how (1, 2, 3).
    business_type BIGINT NOT NULL DEFAULT 0,
    business_of TEXT REFERENCES documents(id),
    -- The leader's approval: who, when, the SHA-256 of the main file approved.
    approved_by TEXT,
    approved_at BIGINT,
    approved_sha256 TEXT,
    -- The hub message a received document came in, so a message fetched twice is kept once.
    exchange_id TEXT UNIQUE,
    version BIGINT NOT NULL DEFAULT 1,
    search TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (register_id, reg_year, reg_number)
);
CREATE INDEX documents_agency ON documents (agency_id, direction, created_at);
CREATE INDEX documents_edxml ON documents (edxml_id);

-- Files of a document: the main text, attachments, handlers' drafts; bytes in the blob store.
CREATE TABLE document_files (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id),
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at BIGINT NOT NULL
);
CREATE INDEX document_files_doc ON document_files (document_id);

-- Recipients of an outgoing document with the last status each reported.
CREATE TABLE document_recipients (
    document_id TEXT NOT NULL REFERENCES documents(id),
    organ_id TEXT NOT NULL,
    name TEXT NOT NULL,
    status_code TEXT,
    status_at BIGINT,
    description TEXT,
    PRIMARY KEY (document_id, organ_id)
);

-- Handling assignments of an incoming document (phân công xử lý).
CREATE TABLE document_assignments (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id),
    account_id TEXT NOT NULL,
    account_name TEXT NOT NULL,
    -- main (xử lý chính), cooperate (phối hợp), inform (nhận để biết).
    role TEXT NOT NULL,
    deadline TEXT,
    state TEXT NOT NULL,
    note TEXT,
    assigned_by TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    completed_at BIGINT
);
CREATE INDEX document_assignments_account ON document_assignments (account_id, state);
CREATE INDEX document_assignments_doc ON document_assignments (document_id);

-- Every trace of a document: registration, assignment, opinions, statuses sent and received.
CREATE TABLE document_history (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id),
    at BIGINT NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    status_code TEXT,
    organ_id TEXT,
    note TEXT,
    file_id TEXT
);
CREATE INDEX document_history_doc ON document_history (document_id, at);

-- Dossiers linked to the documents they produced.
CREATE TABLE document_links (
    document_id TEXT NOT NULL REFERENCES documents(id),
    dossier_id TEXT NOT NULL REFERENCES dossiers(id),
    linked_by TEXT NOT NULL,
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (document_id, dossier_id)
);

-- An agency's signing key and certificate for edXML packages, and the certificates trusted
-- to sign packages received.
CREATE TABLE docflow_keys (
    agency_id TEXT PRIMARY KEY REFERENCES agencies(id),
    key_pem TEXT NOT NULL,
    cert_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE docflow_trust (
    sha256 TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    cert_pem TEXT NOT NULL,
    added_at BIGINT NOT NULL
);

-- This deployment's side of the exchange: packages and status messages to send through the
-- hub and what arrived from it.
CREATE TABLE docflow_outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('package', 'status')),
    document_id TEXT NOT NULL REFERENCES documents(id),
    from_organ TEXT NOT NULL,
    -- The stored message (blob SHA-256) and its size; a package is built when first sent.
    sha256 TEXT,
    size BIGINT,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    error TEXT,
    hub_id TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX docflow_outbox_due ON docflow_outbox (state, next_at);

-- The exchange hub role (trục liên thông): members it serves, and messages waiting for them.
CREATE TABLE hub_members (
    organ_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The OAuth2 client that speaks for the member; NULL: an agency of this deployment.
    client_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE TABLE hub_messages (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('package', 'status')),
    from_organ TEXT NOT NULL,
    to_organ TEXT NOT NULL,
    document_id TEXT,
    subject TEXT,
    status_code TEXT,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    fetched_at BIGINT,
    done_at BIGINT
);
CREATE INDEX hub_messages_to ON hub_messages (to_organ, done_at, created_at);
CREATE INDEX hub_messages_from ON hub_messages (from_organ, created_at);

-- Hub messages this deployment has taken in, so one fetched twice (two nodes, a lost
-- acknowledgement) is processed once.
CREATE TABLE docflow_seen (
    message_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL
);
