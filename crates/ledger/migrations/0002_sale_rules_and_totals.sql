-- Schema version 2: stricter attempt rules, running shift totals.

-- A late capture of a closed/expired code must never be refused because its
-- orderNo was reused meanwhile (losing a payment is worse than recording
-- two). So `captured` no longer blocks at the index level; reserving an
-- orderNo that has a captured attempt is refused by the ledger code instead.
DROP INDEX attempts_order_no_blocking;
CREATE UNIQUE INDEX attempts_order_no_blocking ON attempts(order_no)
    WHERE state IN ('reserved','creating','pending','burned');

-- At most one attempt per sale may be in flight or showing, so two racing
-- retries cannot put two payable codes up for one sale.
CREATE UNIQUE INDEX attempts_one_active_per_sale ON attempts(sale_id)
    WHERE state IN ('reserved','creating','pending');

-- Per shift, state and wallet: how many attempts and how many yen. Kept by
-- triggers in the same transaction as every change, so X/Z reports read a
-- handful of rows instead of scanning the shift (shift 0 = no shift).
CREATE TABLE shift_totals (
    shift_id       INTEGER NOT NULL,
    state          TEXT    NOT NULL,
    payment_method TEXT    NOT NULL,
    count          INTEGER NOT NULL,
    amount         INTEGER NOT NULL,
    PRIMARY KEY (shift_id, state, payment_method)
) WITHOUT ROWID;

INSERT INTO shift_totals (shift_id, state, payment_method, count, amount)
SELECT coalesce(s.shift_id, 0), a.state, coalesce(a.payment_method, ''), count(*), sum(a.amount)
FROM attempts a JOIN sales s ON s.id = a.sale_id
GROUP BY 1, 2, 3;

CREATE TRIGGER shift_totals_insert AFTER INSERT ON attempts
BEGIN
    INSERT INTO shift_totals (shift_id, state, payment_method, count, amount)
    VALUES ((SELECT coalesce(shift_id, 0) FROM sales WHERE id = NEW.sale_id),
            NEW.state, coalesce(NEW.payment_method, ''), 1, NEW.amount)
    ON CONFLICT (shift_id, state, payment_method)
    DO UPDATE SET count = count + 1, amount = amount + excluded.amount;
END;

CREATE TRIGGER shift_totals_update AFTER UPDATE OF state, payment_method, amount ON attempts
BEGIN
    UPDATE shift_totals SET count = count - 1, amount = amount - OLD.amount
    WHERE shift_id = (SELECT coalesce(shift_id, 0) FROM sales WHERE id = OLD.sale_id)
      AND state = OLD.state AND payment_method = coalesce(OLD.payment_method, '');
    INSERT INTO shift_totals (shift_id, state, payment_method, count, amount)
    VALUES ((SELECT coalesce(shift_id, 0) FROM sales WHERE id = NEW.sale_id),
            NEW.state, coalesce(NEW.payment_method, ''), 1, NEW.amount)
    ON CONFLICT (shift_id, state, payment_method)
    DO UPDATE SET count = count + 1, amount = amount + excluded.amount;
END;

CREATE TRIGGER shift_totals_delete AFTER DELETE ON attempts
BEGIN
    UPDATE shift_totals SET count = count - 1, amount = amount - OLD.amount
    WHERE shift_id = (SELECT coalesce(shift_id, 0) FROM sales WHERE id = OLD.sale_id)
      AND state = OLD.state AND payment_method = coalesce(OLD.payment_method, '');
END;
