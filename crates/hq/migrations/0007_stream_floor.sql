-- Where a register's event stream may start: the newest inbox seq when it
-- was enrolled, so a register is never sent the store's history from
-- before it existed (a cursor asked for below it is raised to it).
-- stream_gen counts the streams a register has opened: a newer one ends
-- the older, in this HQ process or another.
ALTER TABLE registers
    ADD COLUMN stream_floor bigint NOT NULL DEFAULT 0,
    ADD COLUMN stream_gen   bigint NOT NULL DEFAULT 0;

-- Registers enrolled before this migration: the newest event HQ had
-- received when they were (last) enrolled.
UPDATE registers r SET stream_floor = coalesce(
    (SELECT max(seq) FROM inbox i WHERE i.received_at < r.enrolled_at), 0);
