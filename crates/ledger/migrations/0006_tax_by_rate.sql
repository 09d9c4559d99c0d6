-- Schema version 6: tax by rate, recorded with the sale (PRODUCT.md §3.12),
-- and every receipt issued. Computed once by easyqr-tax, stored here, read
-- by receipts, X/Z, CSV and the head office; never recomputed.

-- The tax policy a sale was rung up under; NULL: an older sale, whose rate
-- was not recorded (reported as such, never guessed).
ALTER TABLE sales ADD COLUMN tax_pricing TEXT;
ALTER TABLE sales ADD COLUMN tax_rounding TEXT;

CREATE TABLE sale_lines (
    sale_id    INTEGER NOT NULL REFERENCES sales(id),
    line_no    INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    qty        INTEGER NOT NULL CHECK (qty > 0),
    unit_price INTEGER NOT NULL CHECK (unit_price > 0),
    rate       TEXT    NOT NULL CHECK (rate IN ('standard', 'reduced', 'free')),
    PRIMARY KEY (sale_id, line_no)
) WITHOUT ROWID;

-- Per rate: gross = net + tax (tax-included amount paid for that rate).
CREATE TABLE sale_taxes (
    sale_id INTEGER NOT NULL REFERENCES sales(id),
    rate    TEXT    NOT NULL CHECK (rate IN ('standard', 'reduced', 'free')),
    gross   INTEGER NOT NULL,
    tax     INTEGER NOT NULL,
    PRIMARY KEY (sale_id, rate)
) WITHOUT ROWID;

-- A refund by item: which of the sale's lines came back, how many.
CREATE TABLE refund_lines (
    refund_id INTEGER NOT NULL REFERENCES refunds(id),
    line_no   INTEGER NOT NULL,
    qty       INTEGER NOT NULL CHECK (qty > 0),
    PRIMARY KEY (refund_id, line_no)
) WITHOUT ROWID;

CREATE TABLE refund_taxes (
    refund_id INTEGER NOT NULL REFERENCES refunds(id),
    rate      TEXT    NOT NULL CHECK (rate IN ('standard', 'reduced', 'free')),
    gross     INTEGER NOT NULL,
    tax       INTEGER NOT NULL,
    PRIMARY KEY (refund_id, rate)
) WITHOUT ROWID;

-- Every receipt issued (printed, or written out): the next one of the same
-- sale (or refund) is a reprint (再発行).
CREATE TABLE receipts (
    id        INTEGER PRIMARY KEY,
    sale_id   INTEGER NOT NULL REFERENCES sales(id),
    refund_id INTEGER REFERENCES refunds(id),
    kind      TEXT    NOT NULL,
    copy      INTEGER NOT NULL,
    addressee TEXT,
    purpose   TEXT,
    target    TEXT    NOT NULL,
    issued_at INTEGER NOT NULL
);
CREATE INDEX receipts_of_sale ON receipts(sale_id, refund_id);

-- What is recorded with a sale or refund never changes.
CREATE TRIGGER sale_lines_frozen BEFORE UPDATE ON sale_lines
BEGIN SELECT RAISE(ABORT, 'sale lines are append-only'); END;
CREATE TRIGGER sale_lines_kept BEFORE DELETE ON sale_lines
BEGIN SELECT RAISE(ABORT, 'sale lines are append-only'); END;
CREATE TRIGGER sale_taxes_frozen BEFORE UPDATE ON sale_taxes
BEGIN SELECT RAISE(ABORT, 'sale taxes are append-only'); END;
CREATE TRIGGER sale_taxes_kept BEFORE DELETE ON sale_taxes
BEGIN SELECT RAISE(ABORT, 'sale taxes are append-only'); END;
CREATE TRIGGER refund_lines_frozen BEFORE UPDATE ON refund_lines
BEGIN SELECT RAISE(ABORT, 'refund lines are append-only'); END;
CREATE TRIGGER refund_lines_kept BEFORE DELETE ON refund_lines
BEGIN SELECT RAISE(ABORT, 'refund lines are append-only'); END;
CREATE TRIGGER refund_taxes_frozen BEFORE UPDATE ON refund_taxes
BEGIN SELECT RAISE(ABORT, 'refund taxes are append-only'); END;
CREATE TRIGGER refund_taxes_kept BEFORE DELETE ON refund_taxes
BEGIN SELECT RAISE(ABORT, 'refund taxes are append-only'); END;
CREATE TRIGGER receipts_frozen BEFORE UPDATE ON receipts
BEGIN SELECT RAISE(ABORT, 'receipts are append-only'); END;
CREATE TRIGGER receipts_kept BEFORE DELETE ON receipts
BEGIN SELECT RAISE(ABORT, 'receipts are append-only'); END;

-- Per shift, side ('sale': paid attempts; 'refund': refunds not failed) and
-- rate: yen and tax. 'unrecorded' holds what no rate was recorded for (the
-- amount minus the recorded rates' gross), so the rates always add up to
-- the paid (or refunded) amount. Kept by triggers like shift_totals, so a
-- report reads a few rows at any ledger size (shift 0 = no shift).
CREATE TABLE shift_rate_totals (
    shift_id INTEGER NOT NULL,
    side     TEXT    NOT NULL,
    rate     TEXT    NOT NULL,
    gross    INTEGER NOT NULL,
    tax      INTEGER NOT NULL,
    PRIMARY KEY (shift_id, side, rate)
) WITHOUT ROWID;

INSERT INTO shift_rate_totals (shift_id, side, rate, gross, tax)
SELECT coalesce(s.shift_id, 0), 'sale', 'unrecorded', sum(a.amount), 0
FROM attempts a JOIN sales s ON s.id = a.sale_id
WHERE a.state = 'captured' GROUP BY 1;

INSERT INTO shift_rate_totals (shift_id, side, rate, gross, tax)
SELECT coalesce(shift_id, 0), 'refund', 'unrecorded', sum(amount), 0
FROM refunds WHERE status != 'failed' GROUP BY 1;

-- A payment: its sale's recorded rates, and the rest as unrecorded.
CREATE TRIGGER shift_rate_totals_capture AFTER UPDATE OF state ON attempts
WHEN NEW.state = 'captured' AND OLD.state != 'captured'
BEGIN
    INSERT INTO shift_rate_totals (shift_id, side, rate, gross, tax)
    SELECT (SELECT coalesce(shift_id, 0) FROM sales WHERE id = NEW.sale_id),
           'sale', rate, gross, tax
    FROM sale_taxes WHERE sale_id = NEW.sale_id
    ON CONFLICT (shift_id, side, rate)
    DO UPDATE SET gross = gross + excluded.gross, tax = tax + excluded.tax;
    INSERT INTO shift_rate_totals (shift_id, side, rate, gross, tax)
    VALUES ((SELECT coalesce(shift_id, 0) FROM sales WHERE id = NEW.sale_id),
            'sale', 'unrecorded',
            NEW.amount - (SELECT coalesce(sum(gross), 0) FROM sale_taxes WHERE sale_id = NEW.sale_id),
            0)
    ON CONFLICT (shift_id, side, rate)
    DO UPDATE SET gross = gross + excluded.gross;
END;

-- A refund requested counts as unrecorded until its rates are recorded
-- (in the same transaction) ...
CREATE TRIGGER shift_rate_totals_refund AFTER INSERT ON refunds
WHEN NEW.status != 'failed'
BEGIN
    INSERT INTO shift_rate_totals (shift_id, side, rate, gross, tax)
    VALUES (coalesce(NEW.shift_id, 0), 'refund', 'unrecorded', NEW.amount, 0)
    ON CONFLICT (shift_id, side, rate)
    DO UPDATE SET gross = gross + excluded.gross;
END;

-- ... which moves it from unrecorded to its rate.
CREATE TRIGGER shift_rate_totals_refund_rate AFTER INSERT ON refund_taxes
WHEN (SELECT status FROM refunds WHERE id = NEW.refund_id) != 'failed'
BEGIN
    INSERT INTO shift_rate_totals (shift_id, side, rate, gross, tax)
    VALUES ((SELECT coalesce(shift_id, 0) FROM refunds WHERE id = NEW.refund_id),
            'refund', NEW.rate, NEW.gross, NEW.tax)
    ON CONFLICT (shift_id, side, rate)
    DO UPDATE SET gross = gross + excluded.gross, tax = tax + excluded.tax;
    UPDATE shift_rate_totals SET gross = gross - NEW.gross
    WHERE shift_id = (SELECT coalesce(shift_id, 0) FROM refunds WHERE id = NEW.refund_id)
      AND side = 'refund' AND rate = 'unrecorded';
END;

-- A refund elepay refused is not deducted: it leaves every rate.
CREATE TRIGGER shift_rate_totals_refund_failed AFTER UPDATE OF status ON refunds
WHEN NEW.status = 'failed' AND OLD.status != 'failed'
BEGIN
    UPDATE shift_rate_totals
    SET gross = gross - (SELECT gross FROM refund_taxes t WHERE t.refund_id = NEW.id AND t.rate = shift_rate_totals.rate),
        tax = tax - (SELECT tax FROM refund_taxes t WHERE t.refund_id = NEW.id AND t.rate = shift_rate_totals.rate)
    WHERE shift_id = coalesce(NEW.shift_id, 0) AND side = 'refund'
      AND rate IN (SELECT rate FROM refund_taxes WHERE refund_id = NEW.id);
    UPDATE shift_rate_totals
    SET gross = gross - (NEW.amount - (SELECT coalesce(sum(gross), 0) FROM refund_taxes WHERE refund_id = NEW.id))
    WHERE shift_id = coalesce(NEW.shift_id, 0) AND side = 'refund' AND rate = 'unrecorded';
END;

-- A refund elepay confirms after all (failed → pending or refunded) is
-- deducted again: back into its rates (the rows are there from its request).
CREATE TRIGGER shift_rate_totals_refund_revived AFTER UPDATE OF status ON refunds
WHEN OLD.status = 'failed' AND NEW.status != 'failed'
BEGIN
    UPDATE shift_rate_totals
    SET gross = gross + (SELECT gross FROM refund_taxes t WHERE t.refund_id = NEW.id AND t.rate = shift_rate_totals.rate),
        tax = tax + (SELECT tax FROM refund_taxes t WHERE t.refund_id = NEW.id AND t.rate = shift_rate_totals.rate)
    WHERE shift_id = coalesce(NEW.shift_id, 0) AND side = 'refund'
      AND rate IN (SELECT rate FROM refund_taxes WHERE refund_id = NEW.id);
    UPDATE shift_rate_totals
    SET gross = gross + (NEW.amount - (SELECT coalesce(sum(gross), 0) FROM refund_taxes WHERE refund_id = NEW.id))
    WHERE shift_id = coalesce(NEW.shift_id, 0) AND side = 'refund' AND rate = 'unrecorded';
END;
