-- Named accounts for the head-office view (replacing the one shared
-- password), their server-side sessions and the audit trail. Times HQ
-- decides with its clock are Unix milliseconds (the clock is injected).

CREATE TABLE view_users (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    -- brand: every store; store: only the stores in view_user_stores.
    role          text NOT NULL CHECK (role IN ('brand', 'store')),
    -- argon2id, PHC string.
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE view_user_stores (
    user_id  bigint NOT NULL REFERENCES view_users (id) ON DELETE CASCADE,
    store_id bigint NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, store_id)
);

-- Only the SHA-256 of a session id is kept: a copy of the database cannot
-- sign anyone in. Removing a user ends its sessions (cascade).
CREATE TABLE view_sessions (
    id_hash      bytea PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES view_users (id) ON DELETE CASCADE,
    -- The token the session's forms carry (logout).
    csrf         text NOT NULL,
    created_ms   bigint NOT NULL,
    last_seen_ms bigint NOT NULL
);
CREATE INDEX view_sessions_user ON view_sessions (user_id);

-- Logins, failed logins, logouts and CSV exports; user_name is what was
-- typed (a failed login may name no user), kept when the user is removed.
CREATE TABLE view_audit (
    id        bigserial PRIMARY KEY,
    at_ms     bigint NOT NULL,
    kind      text NOT NULL,
    user_name text NOT NULL,
    client    text NOT NULL,
    detail    text NOT NULL DEFAULT ''
);
CREATE INDEX view_audit_at ON view_audit (at_ms DESC);
