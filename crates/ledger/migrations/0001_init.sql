-- EasyQR POS ledger, schema version 1.
-- Times are UTC epoch milliseconds. Amounts are whole yen.

CREATE TABLE shifts (
    id          INTEGER PRIMARY KEY,
    register_id TEXT    NOT NULL,
    cashier     TEXT    NOT NULL,
    opened_at   INTEGER NOT NULL,
    closed_at   INTEGER,
    z_number    INTEGER
);
-- One open shift per register.
CREATE UNIQUE INDEX shifts_one_open ON shifts(register_id) WHERE closed_at IS NULL;

CREATE TABLE sales (
    id          INTEGER PRIMARY KEY,
    shift_id    INTEGER REFERENCES shifts(id),
    amount      INTEGER NOT NULL CHECK (amount >= 1),
    description TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX sales_shift ON sales(shift_id);

-- One row per EasyQR code we tried to create for a sale.
CREATE TABLE attempts (
    id             INTEGER PRIMARY KEY,
    sale_id        INTEGER NOT NULL REFERENCES sales(id),
    order_no       TEXT    NOT NULL,
    amount         INTEGER NOT NULL CHECK (amount >= 1),
    state          TEXT    NOT NULL CHECK (state IN
                     ('reserved','creating','pending','captured','closed','expired','burned','rejected')),
    code_id        TEXT UNIQUE,
    code_url       TEXT,
    expiry_time    INTEGER,
    key_last4      TEXT,
    charge_id      TEXT UNIQUE,
    payment_method TEXT,
    paid_time      INTEGER,
    error_code     TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
-- The FAQ's orderNo rule, enforced by the database itself: while an attempt
-- may be payable (reserved, creating, pending, or burned with an unknown
-- outcome) or is paid, no other attempt may use its orderNo.
CREATE UNIQUE INDEX attempts_order_no_blocking ON attempts(order_no)
    WHERE state IN ('reserved','creating','pending','captured','burned');
CREATE INDEX attempts_order_no ON attempts(order_no);
CREATE INDEX attempts_sale ON attempts(sale_id);
CREATE INDEX attempts_unresolved ON attempts(state)
    WHERE state IN ('reserved','creating','pending');

-- Refunds of captured attempts; elepay completes them asynchronously.
CREATE TABLE refunds (
    id          INTEGER PRIMARY KEY,
    attempt_id  INTEGER NOT NULL REFERENCES attempts(id),
    refund_id   TEXT UNIQUE,
    amount      INTEGER NOT NULL CHECK (amount >= 1),
    reason      TEXT,
    status      TEXT    NOT NULL CHECK (status IN ('requested','pending','refunded','failed')),
    shift_id    INTEGER REFERENCES shifts(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX refunds_attempt ON refunds(attempt_id);

-- Per prefix and business date, the next orderNo sequence number.
CREATE TABLE order_seq (
    prefix        TEXT    NOT NULL,
    business_date TEXT    NOT NULL,
    next_seq      INTEGER NOT NULL,
    PRIMARY KEY (prefix, business_date)
) WITHOUT ROWID;

-- Webhook event ids already applied (deliveries repeat up to 7 times).
CREATE TABLE webhook_events (
    event_id    TEXT PRIMARY KEY,
    event_type  TEXT    NOT NULL,
    received_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Append-only record of every state change; each row commits to the
-- previous one's hash.
CREATE TABLE journal (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    sale_id    INTEGER,
    attempt_id INTEGER,
    payload    TEXT    NOT NULL,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
);
CREATE INDEX journal_attempt ON journal(attempt_id);
CREATE INDEX journal_sale ON journal(sale_id);

CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;

-- Last journal row, so deleting the newest rows is detected too.
CREATE TABLE journal_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
