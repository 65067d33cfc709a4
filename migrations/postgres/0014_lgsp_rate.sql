-- The calls each client subsystem with a rate limit made each minute (minutes since
-- 1970-01-01), the nodes adding theirs every second, so that the limit holds for all nodes
-- together. Rows of minutes past are deleted a few minutes later.
CREATE TABLE lgsp_rate_usage (
    subsystem_id TEXT NOT NULL,
    minute BIGINT NOT NULL,
    calls BIGINT NOT NULL,
    PRIMARY KEY (subsystem_id, minute)
);
