-- Shared catalogs (danh mục dùng chung): administrative units, agencies, code lists,
-- holidays, procedures with versions, generic registries.

CREATE TABLE admin_units (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT,
    kind TEXT NOT NULL,
    tier TEXT NOT NULL,
    parent_id TEXT REFERENCES admin_units(id),
    valid_from TEXT,
    valid_to TEXT,
    merged_into_id TEXT REFERENCES admin_units(id),
    name_folded TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX admin_units_parent ON admin_units(parent_id);
CREATE INDEX admin_units_tier ON admin_units(tier, valid_to);

CREATE TABLE agencies (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    qcvn_code TEXT UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT,
    short_name TEXT,
    parent_id TEXT REFERENCES agencies(id),
    level TEXT NOT NULL,
    unit_id TEXT REFERENCES admin_units(id),
    address TEXT,
    phone TEXT,
    email TEXT,
    website TEXT,
    working_week TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    name_folded TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX agencies_parent ON agencies(parent_id);

CREATE TABLE code_lists (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_en TEXT,
    system BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

CREATE TABLE code_items (
    list_code TEXT NOT NULL REFERENCES code_lists(code),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT,
    name_folded TEXT NOT NULL DEFAULT '',
    sort BIGINT NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (list_code, code)
);

-- A dated exception to the working week; scope '' is the whole province, else an agency id.
CREATE TABLE holidays (
    id TEXT PRIMARY KEY,
    date TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT,
    source TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (date, scope)
);

CREATE TABLE procedures (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    current_version_id TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Each decision (quyết định công bố) that changes a procedure makes a new, immutable version.
CREATE TABLE procedure_versions (
    id TEXT PRIMARY KEY,
    procedure_id TEXT NOT NULL REFERENCES procedures(id),
    version BIGINT NOT NULL,
    decision_number TEXT NOT NULL,
    decision_date TEXT,
    effective_from TEXT NOT NULL,
    name TEXT NOT NULL,
    field_code TEXT NOT NULL,
    level TEXT NOT NULL,
    online_level TEXT NOT NULL,
    processing_value DOUBLE PRECISION NOT NULL,
    processing_unit TEXT NOT NULL,
    body TEXT NOT NULL,
    eform TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (procedure_id, version)
);

-- The current version's facts, denormalised for listing, filtering and search.
CREATE TABLE procedure_index (
    procedure_id TEXT PRIMARY KEY REFERENCES procedures(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    field_code TEXT NOT NULL,
    level TEXT NOT NULL,
    online_level TEXT NOT NULL,
    processing_value DOUBLE PRECISION NOT NULL,
    processing_unit TEXT NOT NULL,
    fee_total BIGINT NOT NULL,
    version BIGINT NOT NULL,
    active BOOLEAN NOT NULL,
    search_text TEXT NOT NULL,
    search_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED
);
CREATE INDEX procedure_index_field ON procedure_index(field_code);
CREATE INDEX procedure_index_name ON procedure_index(name_folded);

CREATE TABLE procedure_agencies (
    procedure_id TEXT NOT NULL REFERENCES procedures(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    PRIMARY KEY (procedure_id, agency_id)
);
CREATE INDEX procedure_agencies_agency ON procedure_agencies(agency_id);

-- Full-text index over the folded search text (PostgreSQL tsvector; SQLite uses FTS5).
CREATE INDEX procedure_index_tsv ON procedure_index USING GIN (search_tsv);

CREATE TABLE registries (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    schema TEXT NOT NULL,
    id_field TEXT NOT NULL,
    personal_field TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (name, version)
);

CREATE TABLE registry_records (
    id TEXT PRIMARY KEY,
    registry_id TEXT NOT NULL REFERENCES registries(id),
    key_value TEXT NOT NULL,
    subject TEXT,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE UNIQUE INDEX registry_records_key ON registry_records(registry_id, key_value) WHERE deleted_at IS NULL;
CREATE INDEX registry_records_subject ON registry_records(subject);

-- Who read or changed which record: the basis of /data/myPersonalDataUsage. Append-only.
CREATE TABLE registry_access_log (
    id TEXT PRIMARY KEY,
    registry_id TEXT NOT NULL,
    record_id TEXT,
    subject TEXT,
    client TEXT,
    action TEXT NOT NULL,
    fields TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX registry_access_subject ON registry_access_log(subject, at);
