-- What a ledger belongs to, recorded when it is first opened by this
-- version: its mode ('demo', 'test' or 'live'). A ledger refuses to be
-- opened under another mode: test payments never count in live reports.
CREATE TABLE ledger_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The journal head at a shift's close (its row count and hash), printed on
-- its Z report: a history rewritten or cut short after the close no longer
-- reaches the printed head.
ALTER TABLE shifts ADD COLUMN journal_rows INTEGER;
ALTER TABLE shifts ADD COLUMN journal_hash TEXT;

-- A Z report's figures as they were at its close (also journaled with the
-- close): the Z keeps them; what changes later is shown as "since the close".
ALTER TABLE shifts ADD COLUMN z_figures TEXT;

-- Each journal row from the one a journal key was installed at on carries
-- an HMAC of its hash under that key, kept outside the ledger.
ALTER TABLE journal ADD COLUMN mac TEXT;
