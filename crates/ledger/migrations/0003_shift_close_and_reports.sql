-- Schema version 3: closing shifts with Z numbers, and what X/Z reports read.

-- A Z number is never used twice on one register (the next one is the
-- register's highest plus one, taken in the closing transaction).
CREATE UNIQUE INDEX shifts_z_number ON shifts(register_id, z_number)
    WHERE z_number IS NOT NULL;

-- A closed shift is final: its Z report must always read the same.
CREATE TRIGGER shifts_closed_is_final BEFORE UPDATE ON shifts
WHEN OLD.closed_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a closed shift cannot change'); END;

-- Refunds count in the shift they were made in.
CREATE INDEX refunds_shift ON refunds(shift_id);

-- Payments confirmed after their shift was closed (they still belong to
-- that shift; its report marks them late). Kept by a trigger in the
-- capturing transaction, so a report reads a few rows, not the shift.
CREATE TABLE late_captures (
    attempt_id  INTEGER PRIMARY KEY REFERENCES attempts(id),
    shift_id    INTEGER NOT NULL REFERENCES shifts(id),
    amount      INTEGER NOT NULL,
    captured_at INTEGER NOT NULL
);
CREATE INDEX late_captures_shift ON late_captures(shift_id);

CREATE TRIGGER late_capture AFTER UPDATE OF state ON attempts
WHEN NEW.state = 'captured' AND OLD.state != 'captured'
BEGIN
    INSERT INTO late_captures (attempt_id, shift_id, amount, captured_at)
    SELECT NEW.id, sh.id, NEW.amount, NEW.updated_at
    FROM sales s JOIN shifts sh ON sh.id = s.shift_id
    WHERE s.id = NEW.sale_id AND sh.closed_at IS NOT NULL;
END;
