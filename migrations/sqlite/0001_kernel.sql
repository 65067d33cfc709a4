-- Counters for numbers that must never repeat (dossier codes, document numbers), and settings.
CREATE TABLE counters (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
