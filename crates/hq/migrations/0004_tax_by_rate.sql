-- Tax by rate, as the registers record it (their ledger's schema v6,
-- crates/ledger/migrations/0006_tax_by_rate.sql): each sale's and each
-- refund's tax by rate (from `sale.taxed` / `refund.taxed`), and the running
-- sums per shift, side and rate that the books read. The sums are kept by
-- triggers that are the ledger's own, one for one (same names, same
-- events, same arithmetic), so HQ counts by rate exactly as the register.

-- The tax policy a sale was rung up under; NULL: its rate was not recorded.
ALTER TABLE sales ADD COLUMN tax_pricing text;
ALTER TABLE sales ADD COLUMN tax_rounding text;

-- Per rate: gross = net + tax (the tax-included yen paid at that rate).
CREATE TABLE sale_taxes (
    register bigint NOT NULL REFERENCES registers (id),
    sale_id  bigint NOT NULL,
    rate     text   NOT NULL CHECK (rate IN ('standard', 'reduced', 'free')),
    gross    bigint NOT NULL,
    tax      bigint NOT NULL,
    PRIMARY KEY (register, sale_id, rate)
);

CREATE TABLE refund_taxes (
    register bigint NOT NULL REFERENCES registers (id),
    refund   bigint NOT NULL,
    rate     text   NOT NULL CHECK (rate IN ('standard', 'reduced', 'free')),
    gross    bigint NOT NULL,
    tax      bigint NOT NULL,
    PRIMARY KEY (register, refund, rate)
);

-- Per shift (0: no shift), side ('sale': paid attempts; 'refund': refunds
-- not failed) and rate: yen and tax. 'unrecorded' holds what no rate was
-- recorded for (the amount minus the recorded rates' gross). numeric, like
-- PostgreSQL's own sum(bigint): a sum never overflows while it is kept;
-- the books read it back as bigint, as they read every other sum.
CREATE TABLE shift_rate_totals (
    register bigint  NOT NULL REFERENCES registers (id),
    shift_id bigint  NOT NULL,
    side     text    NOT NULL CHECK (side IN ('sale', 'refund')),
    rate     text    NOT NULL CHECK (rate IN ('standard', 'reduced', 'free', 'unrecorded')),
    gross    numeric NOT NULL,
    tax      numeric NOT NULL,
    PRIMARY KEY (register, shift_id, side, rate)
);

-- What HQ already holds counts as the register's own migration counts it:
-- every payment and every refund not failed, rate not recorded.
INSERT INTO shift_rate_totals (register, shift_id, side, rate, gross, tax)
SELECT a.register, coalesce(s.shift_id, 0), 'sale', 'unrecorded', sum(a.amount), 0
FROM attempts a JOIN sales s ON s.register = a.register AND s.sale_id = a.sale_id
WHERE a.state = 'captured' GROUP BY 1, 2;

INSERT INTO shift_rate_totals (register, shift_id, side, rate, gross, tax)
SELECT register, coalesce(shift_id, 0), 'refund', 'unrecorded', sum(amount), 0
FROM refunds WHERE status <> 'failed' GROUP BY 1, 2;

-- A payment: its sale's recorded rates, and the rest as unrecorded.
-- (ledger: shift_rate_totals_capture)
CREATE FUNCTION shift_rate_totals_capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shift bigint;
BEGIN
    SELECT coalesce(s.shift_id, 0) INTO shift
    FROM sales s WHERE s.register = NEW.register AND s.sale_id = NEW.sale_id;
    shift := coalesce(shift, 0);
    INSERT INTO shift_rate_totals AS t (register, shift_id, side, rate, gross, tax)
    SELECT NEW.register, shift, 'sale', x.rate, x.gross, x.tax
    FROM sale_taxes x WHERE x.register = NEW.register AND x.sale_id = NEW.sale_id
    ON CONFLICT (register, shift_id, side, rate)
    DO UPDATE SET gross = t.gross + excluded.gross, tax = t.tax + excluded.tax;
    INSERT INTO shift_rate_totals AS t (register, shift_id, side, rate, gross, tax)
    VALUES (NEW.register, shift, 'sale', 'unrecorded',
            NEW.amount::numeric - (SELECT coalesce(sum(x.gross), 0) FROM sale_taxes x
                                   WHERE x.register = NEW.register AND x.sale_id = NEW.sale_id),
            0)
    ON CONFLICT (register, shift_id, side, rate)
    DO UPDATE SET gross = t.gross + excluded.gross;
    RETURN NULL;
END $$;
CREATE TRIGGER shift_rate_totals_capture AFTER UPDATE OF state ON attempts
FOR EACH ROW WHEN (NEW.state = 'captured' AND OLD.state <> 'captured')
EXECUTE FUNCTION shift_rate_totals_capture();

-- A refund requested counts as unrecorded until its rates are recorded
-- (the next journal row) ... (ledger: shift_rate_totals_refund)
CREATE FUNCTION shift_rate_totals_refund() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO shift_rate_totals AS t (register, shift_id, side, rate, gross, tax)
    VALUES (NEW.register, coalesce(NEW.shift_id, 0), 'refund', 'unrecorded', NEW.amount, 0)
    ON CONFLICT (register, shift_id, side, rate)
    DO UPDATE SET gross = t.gross + excluded.gross;
    RETURN NULL;
END $$;
CREATE TRIGGER shift_rate_totals_refund AFTER INSERT ON refunds
FOR EACH ROW WHEN (NEW.status <> 'failed')
EXECUTE FUNCTION shift_rate_totals_refund();

-- ... which moves it from unrecorded to its rate.
-- (ledger: shift_rate_totals_refund_rate)
CREATE FUNCTION shift_rate_totals_refund_rate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shift bigint;
BEGIN
    SELECT coalesce(f.shift_id, 0) INTO shift FROM refunds f
    WHERE f.register = NEW.register AND f.refund = NEW.refund AND f.status <> 'failed';
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    INSERT INTO shift_rate_totals AS t (register, shift_id, side, rate, gross, tax)
    VALUES (NEW.register, shift, 'refund', NEW.rate, NEW.gross, NEW.tax)
    ON CONFLICT (register, shift_id, side, rate)
    DO UPDATE SET gross = t.gross + excluded.gross, tax = t.tax + excluded.tax;
    UPDATE shift_rate_totals SET gross = gross - NEW.gross
    WHERE register = NEW.register AND shift_id = shift AND side = 'refund'
      AND rate = 'unrecorded';
    RETURN NULL;
END $$;
CREATE TRIGGER shift_rate_totals_refund_rate AFTER INSERT ON refund_taxes
FOR EACH ROW EXECUTE FUNCTION shift_rate_totals_refund_rate();

-- A refund elepay refused is not deducted: it leaves every rate.
-- (ledger: shift_rate_totals_refund_failed)
CREATE FUNCTION shift_rate_totals_refund_failed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE shift_rate_totals t SET gross = t.gross - x.gross, tax = t.tax - x.tax
    FROM refund_taxes x
    WHERE x.register = NEW.register AND x.refund = NEW.refund
      AND t.register = NEW.register AND t.shift_id = coalesce(NEW.shift_id, 0)
      AND t.side = 'refund' AND t.rate = x.rate;
    UPDATE shift_rate_totals t
    SET gross = t.gross - (NEW.amount::numeric - (SELECT coalesce(sum(x.gross), 0)
                                                  FROM refund_taxes x
                                                  WHERE x.register = NEW.register
                                                    AND x.refund = NEW.refund))
    WHERE t.register = NEW.register AND t.shift_id = coalesce(NEW.shift_id, 0)
      AND t.side = 'refund' AND t.rate = 'unrecorded';
    RETURN NULL;
END $$;
CREATE TRIGGER shift_rate_totals_refund_failed AFTER UPDATE OF status ON refunds
FOR EACH ROW WHEN (NEW.status = 'failed' AND OLD.status <> 'failed')
EXECUTE FUNCTION shift_rate_totals_refund_failed();

-- A refund elepay confirms after all (failed → pending or refunded) is
-- deducted again: back into its rates. (ledger: shift_rate_totals_refund_revived)
CREATE FUNCTION shift_rate_totals_refund_revived() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE shift_rate_totals t SET gross = t.gross + x.gross, tax = t.tax + x.tax
    FROM refund_taxes x
    WHERE x.register = NEW.register AND x.refund = NEW.refund
      AND t.register = NEW.register AND t.shift_id = coalesce(NEW.shift_id, 0)
      AND t.side = 'refund' AND t.rate = x.rate;
    UPDATE shift_rate_totals t
    SET gross = t.gross + (NEW.amount::numeric - (SELECT coalesce(sum(x.gross), 0)
                                                  FROM refund_taxes x
                                                  WHERE x.register = NEW.register
                                                    AND x.refund = NEW.refund))
    WHERE t.register = NEW.register AND t.shift_id = coalesce(NEW.shift_id, 0)
      AND t.side = 'refund' AND t.rate = 'unrecorded';
    RETURN NULL;
END $$;
CREATE TRIGGER shift_rate_totals_refund_revived AFTER UPDATE OF status ON refunds
FOR EACH ROW WHEN (OLD.status = 'failed' AND NEW.status <> 'failed')
EXECUTE FUNCTION shift_rate_totals_refund_revived();
