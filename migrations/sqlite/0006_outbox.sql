-- The outbox: events written with the change that caused them, one delivery per consumer,
-- leased by workers (next_at is both the retry time and the lease), retried with backoff,
-- dead-lettered after the last attempt. And the notification messages built from events.

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_subject ON events(subject, created_at);
CREATE INDEX events_topic ON events(topic, created_at);

CREATE TABLE outbox_consumers (
    consumer TEXT NOT NULL,
    topic_prefix TEXT NOT NULL,
    PRIMARY KEY (consumer, topic_prefix)
);

CREATE TABLE event_deliveries (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events(id),
    consumer TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    last_error TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX event_deliveries_due ON event_deliveries(consumer, status, next_at);

-- E-mails and text messages, with their delivery status (GovStack Messaging).
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    account_id TEXT,
    template TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_ref TEXT,
    attempts BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX messages_account ON messages(account_id, created_at);
CREATE INDEX messages_created ON messages(created_at);
