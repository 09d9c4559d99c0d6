-- Journal ingest a register cannot turn against HQ (issue 22).

-- A register whose journal breaks the ledger's rules (an amount outside
-- elepay's limits, a state move `state.rs` forbids, a sale in a shift
-- that is not open): the row and its reason. Its rows are kept, its
-- projection stops at the row, and none of its figures count anywhere.
ALTER TABLE registers ADD COLUMN broken_seq bigint;
ALTER TABLE registers ADD COLUMN broken_reason text;
ALTER TABLE registers ADD COLUMN broken_at timestamptz;

-- The HQ process that last found the row it cannot read
-- (`projection_error`): later batches do not read it again; the next HQ
-- process (an upgrade is a restart) tries it once.
ALTER TABLE registers ADD COLUMN projection_run bigint;
