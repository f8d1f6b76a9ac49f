-- PJ lots (SCOR): the attachments of one practitioner for one organism, sent together once
-- the lots of their FSE are acknowledged, each with its ARL PJ. The outbox is rebuilt so an
-- attempt names either a lot of FSE or a PJ lot (exactly one); rows and ids are kept.
CREATE TABLE pj_lots (
    id           INTEGER PRIMARY KEY,
    practitioner TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    number       INTEGER NOT NULL CHECK (number BETWEEN 1 AND 999),
    organism     TEXT NOT NULL,
    status       TEXT NOT NULL,
    created      TEXT NOT NULL,
    -- The last working day it is tried electronically (5 working days after the first
    -- attempt); then paper.
    retry_until  TEXT NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    acknowledged TEXT,
    paper_reason TEXT,
    -- When the practitioner posted its attachments (paper path): kept 90 days from then.
    posted       TEXT,
    UNIQUE (practitioner, seq)
);
CREATE INDEX pj_lots_by_status ON pj_lots (status);

ALTER TABLE attachments ADD COLUMN pj_lot_id INTEGER REFERENCES pj_lots (id);
ALTER TABLE attachments ADD COLUMN position INTEGER;
ALTER TABLE attachments ADD COLUMN purge_on TEXT;
ALTER TABLE attachments ADD COLUMN purged TEXT;
CREATE INDEX attachments_by_pj_lot ON attachments (pj_lot_id);
CREATE INDEX attachments_by_state ON attachments (state);

CREATE TABLE outbox_new (
    id           INTEGER PRIMARY KEY,
    lot_id       INTEGER REFERENCES lots (id),
    pj_lot_id    INTEGER REFERENCES pj_lots (id),
    practitioner TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    message_id   TEXT NOT NULL UNIQUE,
    state        TEXT NOT NULL,
    created      TEXT NOT NULL,
    next_try     TEXT NOT NULL,
    tries        INTEGER NOT NULL DEFAULT 0,
    recipient    TEXT,
    message      BLOB,
    last_error   TEXT,
    server_reply TEXT,
    sent_at      TEXT,
    CHECK ((lot_id IS NULL) <> (pj_lot_id IS NULL)),
    UNIQUE (lot_id, attempt),
    UNIQUE (pj_lot_id, attempt)
);
INSERT INTO outbox_new (id, lot_id, practitioner, attempt, reason, message_id, state, created,
                        next_try, tries, recipient, message, last_error, server_reply, sent_at)
    SELECT id, lot_id, practitioner, attempt, reason, message_id, state, created, next_try,
           tries, recipient, message, last_error, server_reply, sent_at
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_try);
CREATE INDEX outbox_by_lot ON outbox (lot_id);
CREATE INDEX outbox_by_pj_lot ON outbox (pj_lot_id);

CREATE TABLE arl_pj (
    id             INTEGER PRIMARY KEY,
    pj_lot_id      INTEGER NOT NULL REFERENCES pj_lots (id),
    attempt_id     INTEGER REFERENCES outbox (id),
    return_mail_id INTEGER REFERENCES return_mails (id),
    positive       INTEGER NOT NULL,
    reason         TEXT,
    received       TEXT NOT NULL
);
CREATE INDEX arl_pj_by_lot ON arl_pj (pj_lot_id);
