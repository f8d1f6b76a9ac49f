-- Billing: counters, lots, FSE, pre-coded baskets.
CREATE TABLE counters (
    practitioner TEXT NOT NULL,
    kind         TEXT NOT NULL,
    last         INTEGER NOT NULL,
    PRIMARY KEY (practitioner, kind)
) WITHOUT ROWID;

CREATE TABLE lots (
    id            INTEGER PRIMARY KEY,
    practitioner  TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    number        INTEGER NOT NULL CHECK (number BETWEEN 1 AND 999),
    organism      TEXT NOT NULL,
    status        TEXT NOT NULL,
    created       TEXT NOT NULL,
    invoice_count INTEGER NOT NULL,
    total_cents   INTEGER NOT NULL,
    amo_cents     INTEGER NOT NULL,
    signed_by     TEXT NOT NULL,
    b2            BLOB NOT NULL,
    b2_sha256     TEXT NOT NULL,
    signature     BLOB NOT NULL,
    certificate   BLOB NOT NULL,
    UNIQUE (practitioner, seq)
);

CREATE TABLE fse (
    id              INTEGER PRIMARY KEY,
    practitioner    TEXT NOT NULL,
    number          INTEGER NOT NULL CHECK (number BETWEEN 1 AND 999999999),
    status          TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    request_sha256  TEXT,
    patient_nir     TEXT NOT NULL,
    care_date       TEXT NOT NULL,
    organism        TEXT NOT NULL,
    drawn_up        TEXT NOT NULL,
    body            TEXT NOT NULL,
    signed_at       TEXT,
    signed_by       TEXT,
    signature       BLOB,
    certificate     BLOB,
    lot_id          INTEGER REFERENCES lots (id),
    UNIQUE (practitioner, number)
);
CREATE INDEX fse_by_status ON fse (practitioner, status, organism);
CREATE INDEX fse_by_care_date ON fse (care_date);
CREATE INDEX fse_by_patient ON fse (patient_nir);
CREATE INDEX fse_by_lot ON fse (lot_id);

CREATE TABLE baskets (
    name    TEXT PRIMARY KEY,
    label   TEXT NOT NULL,
    acts    TEXT NOT NULL,
    updated TEXT NOT NULL
);
