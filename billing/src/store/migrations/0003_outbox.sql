-- Lot transmission: each lot's send-by date, the outbox (one row per attempt to send a
-- lot), the mail settings of each practitioner situation (never the password: a file of its
-- own) and the daily emission.
ALTER TABLE lots ADD COLUMN send_by TEXT;

CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    lot_id       INTEGER NOT NULL REFERENCES lots (id),
    practitioner TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    message_id   TEXT NOT NULL UNIQUE,
    state        TEXT NOT NULL,
    created      TEXT NOT NULL,
    next_try     TEXT NOT NULL,
    tries        INTEGER NOT NULL DEFAULT 0,
    recipient    TEXT,
    -- The message as built, stored before the first SMTP try: every later try of this
    -- attempt (after a crash) sends these very bytes, with the same Message-ID.
    message      BLOB,
    last_error   TEXT,
    server_reply TEXT,
    sent_at      TEXT,
    UNIQUE (lot_id, attempt)
);
CREATE INDEX outbox_due ON outbox (state, next_try);
CREATE INDEX outbox_by_lot ON outbox (lot_id);

CREATE TABLE mail_settings (
    practitioner TEXT PRIMARY KEY,
    settings     TEXT NOT NULL,
    updated      TEXT NOT NULL
);

CREATE TABLE daily_schedule (
    name        TEXT PRIMARY KEY,
    grant_id    TEXT NOT NULL,
    enabled_at  TEXT NOT NULL,
    last_run    TEXT,
    last_report TEXT
);
