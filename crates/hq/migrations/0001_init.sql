-- The head office's first schema. Times the registers wrote are kept as
-- they wrote them (Unix milliseconds); times HQ stamps are timestamptz.

CREATE TABLE stores (
    id          bigserial PRIMARY KEY,
    location_id text NOT NULL UNIQUE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- register_id is the orderNo prefix, unique in the elepay app (the brand).
CREATE TABLE registers (
    id              bigserial PRIMARY KEY,
    store_id        bigint NOT NULL REFERENCES stores (id),
    register_id     text NOT NULL UNIQUE,
    token_hash      bytea NOT NULL UNIQUE,
    enrolled_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    last_seen       timestamptz,
    -- The register's newest journal seq, as it last said.
    head_seq        bigint NOT NULL DEFAULT 0,
    -- The highest seq held with no gap below it.
    acked_seq       bigint NOT NULL DEFAULT 0,
    -- Up to which seq the journal is projected into shifts/sales/....
    projected_seq   bigint NOT NULL DEFAULT 0,
    -- The last inbox seq the register acknowledged; starts at enrolment.
    event_cursor    bigint NOT NULL DEFAULT 0,
    diverged_seq    bigint,
    diverged_reason text,
    diverged_at     timestamptz
);

-- Every verified elepay event, once, in commit order (seq is allocated
-- under a lock so a stream reading "after N" never skips a slower commit).
CREATE TABLE inbox (
    seq              bigint PRIMARY KEY,
    event_id         text NOT NULL UNIQUE,
    event_type       text NOT NULL,
    location_id      text,
    code_id          text,
    body             text NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    deliveries       integer NOT NULL DEFAULT 1,
    last_delivery_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_by_location ON inbox (location_id, seq);

-- The registers' journal rows exactly as shipped (the hash covers them).
CREATE TABLE journal (
    register    bigint NOT NULL REFERENCES registers (id),
    seq         bigint NOT NULL,
    at          bigint NOT NULL,
    kind        text NOT NULL,
    sale_id     bigint,
    attempt_id  bigint,
    payload     text NOT NULL,
    prev_hash   text NOT NULL,
    hash        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (register, seq)
);

-- What the journal says, projected in seq order up to acked_seq.
CREATE TABLE shifts (
    register      bigint NOT NULL REFERENCES registers (id),
    shift_id      bigint NOT NULL,
    cashier       text NOT NULL,
    opened_at     bigint NOT NULL,
    business_date date NOT NULL,
    closed_at     bigint,
    z_number      bigint,
    -- The Z figures the register journaled at its close.
    z_figures     jsonb,
    PRIMARY KEY (register, shift_id)
);
CREATE INDEX shifts_by_date ON shifts (business_date);

CREATE TABLE sales (
    register    bigint NOT NULL REFERENCES registers (id),
    sale_id     bigint NOT NULL,
    shift_id    bigint,
    amount      bigint NOT NULL,
    description text,
    created_at  bigint NOT NULL,
    PRIMARY KEY (register, sale_id)
);

CREATE TABLE attempts (
    register       bigint NOT NULL REFERENCES registers (id),
    attempt_id     bigint NOT NULL,
    sale_id        bigint NOT NULL,
    shift_id       bigint,
    order_no       text NOT NULL,
    amount         bigint NOT NULL,
    state          text NOT NULL,
    code_id        text,
    charge_id      text,
    payment_method text,
    paid_time      bigint,
    -- Where the register learned of the payment: poll, webhook, recovery,
    -- reconciliation, … (reconciliation: a difference elepay showed).
    paid_source    text,
    -- Paid after its shift had closed.
    late           boolean NOT NULL DEFAULT false,
    updated_at     bigint NOT NULL,
    PRIMARY KEY (register, attempt_id)
);
CREATE INDEX attempts_by_shift ON attempts (register, shift_id);

CREATE TABLE refunds (
    register   bigint NOT NULL REFERENCES registers (id),
    refund     bigint NOT NULL,
    attempt_id bigint,
    shift_id   bigint,
    amount     bigint NOT NULL,
    reason     text,
    status     text NOT NULL,
    refund_id  text,
    created_at bigint NOT NULL,
    PRIMARY KEY (register, refund)
);
CREATE INDEX refunds_by_shift ON refunds (register, shift_id);
