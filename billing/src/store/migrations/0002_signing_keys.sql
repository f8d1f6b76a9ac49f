-- Idempotency of the signing calls: the key under which an FSE was signed, and the lots
-- each keyed lot build made.
ALTER TABLE fse ADD COLUMN sign_idempotency_key TEXT;

CREATE TABLE lot_requests (
    idempotency_key TEXT PRIMARY KEY,
    practitioner    TEXT NOT NULL,
    lot_ids         TEXT NOT NULL,
    created         TEXT NOT NULL
);
