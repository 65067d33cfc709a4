-- The message log by time: the monitoring page's last-24-hours figures, and an exchange's
-- evidence (its request id, a UUID v7, tells the millisecond the record was made).
CREATE INDEX lgsp_messages_at ON lgsp_messages (at);
