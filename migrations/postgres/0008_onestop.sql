-- The one-stop engine: process definitions (versioned), dossiers, their append-only history,
-- tasks in officers' inboxes, attachments, apologies.

-- Internal processes (quy trình nội bộ) the engine also runs: outgoing documents, award
-- proposals, asset procurement... Their definitions sit beside the procedures' ones.
CREATE TABLE internal_processes (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    legal_minutes BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- procedure_id names a procedure, or an internal process.
CREATE TABLE process_definitions (
    id TEXT PRIMARY KEY,
    procedure_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,
    legal_minutes BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (procedure_id, version)
);

CREATE TABLE dossiers (
    id TEXT PRIMARY KEY,
    -- `dossier` (an application under a procedure) or `internal` (a case of an internal process).
    kind TEXT NOT NULL DEFAULT 'dossier',
    subject TEXT,
    code TEXT UNIQUE,
    procedure_id TEXT NOT NULL,
    procedure_version_id TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    procedure_version BIGINT NOT NULL,
    procedure_name TEXT NOT NULL,
    field_code TEXT NOT NULL,
    process_id TEXT NOT NULL REFERENCES process_definitions(id),
    agency_id TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    account_id TEXT,
    applicant TEXT NOT NULL,
    applicant_citizen_id TEXT,
    applicant_tax_code TEXT,
    proxy TEXT,
    channel BIGINT NOT NULL,
    status BIGINT NOT NULL,
    form TEXT NOT NULL,
    fee_total BIGINT NOT NULL,
    paid BIGINT NOT NULL DEFAULT 0,
    legal_value DOUBLE PRECISION NOT NULL,
    legal_unit TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    accepted_at BIGINT,
    received_on TEXT,
    due_on TEXT,
    original_due_on TEXT,
    processed_at BIGINT,
    returned_at BIGINT,
    return_method TEXT,
    current_step TEXT,
    paused_since BIGINT,
    paused_days BIGINT NOT NULL DEFAULT 0,
    supplement_count BIGINT NOT NULL DEFAULT 0,
    supplement_before_acceptance BOOLEAN NOT NULL DEFAULT FALSE,
    apology_count BIGINT NOT NULL DEFAULT 0,
    due_soon BOOLEAN NOT NULL DEFAULT FALSE,
    overdue BOOLEAN NOT NULL DEFAULT FALSE,
    late_share BOOLEAN NOT NULL DEFAULT FALSE,
    result_sha256 TEXT,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX dossiers_agency_status ON dossiers(agency_id, status);
-- The agency's dossier list, newest first, read from the index alone.
CREATE INDEX dossiers_agency_list ON dossiers(agency_id, kind, submitted_at, id);
CREATE INDEX dossiers_account ON dossiers(account_id, submitted_at);
CREATE INDEX dossiers_due ON dossiers(status, due_on);
CREATE INDEX dossiers_submitted ON dossiers(submitted_at);

CREATE TABLE dossier_events (
    id TEXT PRIMARY KEY,
    dossier_id TEXT NOT NULL REFERENCES dossiers(id),
    at BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status BIGINT,
    to_status BIGINT,
    step TEXT,
    reason TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX dossier_events_dossier ON dossier_events(dossier_id, at);
CREATE FUNCTION dossier_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'dossier history is append-only'; END $$;
CREATE TRIGGER dossier_events_no_change BEFORE UPDATE OR DELETE ON dossier_events
FOR EACH ROW EXECUTE FUNCTION dossier_events_append_only();

CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    dossier_id TEXT NOT NULL REFERENCES dossiers(id),
    step_id TEXT NOT NULL,
    step_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    role TEXT NOT NULL,
    agency_id TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee_id TEXT,
    started_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    completed_at BIGINT,
    outcome TEXT,
    note TEXT,
    on_time BOOLEAN,
    version BIGINT NOT NULL
);
CREATE INDEX tasks_inbox ON tasks(agency_id, role, status);
CREATE INDEX tasks_dossier ON tasks(dossier_id, status);
CREATE INDEX tasks_assignee ON tasks(assignee_id, status);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    dossier_id TEXT NOT NULL REFERENCES dossiers(id),
    purpose TEXT NOT NULL,
    document_code TEXT,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX attachments_dossier ON attachments(dossier_id);

CREATE TABLE apologies (
    id TEXT PRIMARY KEY,
    dossier_id TEXT NOT NULL REFERENCES dossiers(id),
    reason TEXT NOT NULL,
    new_due_on TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT
);
CREATE INDEX apologies_dossier ON apologies(dossier_id);

-- Files uploaded through the GovStack Registration API before the application that names
-- them (POST /documents, then documentUrls in the application).
CREATE TABLE staged_documents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    used_by TEXT
);
