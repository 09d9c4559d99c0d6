-- Webhook inbox: a verified event is stored here before the receiver
-- answers 2xx (elepay retries only on failure), then applied from here,
-- retried until applied, also after a restart.
CREATE TABLE webhook_inbox (
    event_id    TEXT PRIMARY KEY,
    body        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    applied_at  INTEGER,
    tries       INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
);
CREATE INDEX webhook_inbox_pending ON webhook_inbox(received_at) WHERE applied_at IS NULL;
