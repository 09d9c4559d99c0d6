-- The view's login throttle, shared by every HQ process on this database
-- (the rules are in src/view/throttle.rs). One row per key: an account
-- name ('name:…') or a client address ('addr:…', IPv6 by its /64). Times
-- are Unix milliseconds from HQ's (injected) clock.
CREATE TABLE login_throttle (
    key          text PRIMARY KEY,
    failures     integer NOT NULL,
    last_ms      bigint NOT NULL,
    locked_until bigint NOT NULL
);
-- Old rows are dropped by last_ms (a few at a time, at each login).
CREATE INDEX login_throttle_last ON login_throttle (last_ms);
