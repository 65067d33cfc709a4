-- A client subsystem's daily quota: the calls it may make through the gateway in a calendar
-- day, Vietnam's time (0: no quota).
ALTER TABLE lgsp_subsystems ADD COLUMN calls_per_day BIGINT NOT NULL DEFAULT 0;

-- The calls each client subsystem made each day (days since 1970-01-01, Vietnam's time), the
-- nodes adding theirs every second: what the daily quota is checked against.
CREATE TABLE lgsp_usage (
    subsystem_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    calls BIGINT NOT NULL,
    PRIMARY KEY (subsystem_id, day)
);
