-- Applicants' satisfaction with a returned dossier (đánh giá mức độ hài lòng): one rating per
-- dossier, which its applicant may change; the comment is their feedback to the agency.
CREATE TABLE dossier_ratings (
    dossier_id TEXT PRIMARY KEY REFERENCES dossiers(id),
    account_id TEXT NOT NULL,
    agency_id TEXT NOT NULL,
    procedure_id TEXT NOT NULL,
    score BIGINT NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX dossier_ratings_agency ON dossier_ratings (agency_id, created_at);

-- The counter looks up an applicant's earlier dossiers by personal number.
CREATE INDEX dossiers_applicant_citizen ON dossiers (applicant_citizen_id, submitted_at);
