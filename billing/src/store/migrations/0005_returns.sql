-- Returns: every mail fetched from a practitioner's mailbox, stored raw before it is read;
-- where each mailbox was read up to; the ARL and the NOEMIE payments applied; each lot's
-- failed deliveries (negative ARL, or no ARL in time) and its paper duplicate.
CREATE TABLE return_mails (
    id           INTEGER PRIMARY KEY,
    practitioner TEXT NOT NULL,
    uid_validity INTEGER,
    uid          INTEGER,
    message_id   TEXT,
    sha256       TEXT NOT NULL UNIQUE,
    sender       TEXT,
    subject      TEXT NOT NULL,
    raw          BLOB NOT NULL,
    received     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    state        TEXT NOT NULL,
    outcome      TEXT
);
CREATE UNIQUE INDEX return_mails_by_message_id ON return_mails (message_id)
    WHERE message_id IS NOT NULL;
CREATE INDEX return_mails_by_state ON return_mails (state);

CREATE TABLE imap_cursors (
    practitioner TEXT PRIMARY KEY,
    uid_validity INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL
);

CREATE TABLE arl (
    id             INTEGER PRIMARY KEY,
    lot_id         INTEGER NOT NULL REFERENCES lots (id),
    attempt_id     INTEGER REFERENCES outbox (id),
    return_mail_id INTEGER REFERENCES return_mails (id),
    positive       INTEGER NOT NULL,
    reason         TEXT,
    received       TEXT NOT NULL
);
CREATE INDEX arl_by_lot ON arl (lot_id);

CREATE TABLE payments (
    id              INTEGER PRIMARY KEY,
    return_mail_id  INTEGER NOT NULL REFERENCES return_mails (id),
    fse_id          INTEGER REFERENCES fse (id),
    practitioner    TEXT NOT NULL,
    fse_number      INTEGER NOT NULL,
    lot_number      INTEGER NOT NULL,
    status          TEXT NOT NULL,
    requested_cents INTEGER NOT NULL,
    paid_cents      INTEGER NOT NULL,
    payment_date    TEXT,
    reasons         TEXT NOT NULL
);
CREATE INDEX payments_by_fse ON payments (fse_id);

ALTER TABLE lots ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lots ADD COLUMN acknowledged TEXT;
ALTER TABLE lots ADD COLUMN paper_reason TEXT;
