-- What a ledger belongs to, recorded when it is first opened by this
-- version: its mode ('demo', 'test' or 'live'). A ledger refuses to be
-- opened under another mode: test payments never count in live reports.
CREATE TABLE ledger_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
