-- Scanned attachments (SCOR): each PDF kept for an FSE, as the organism will receive it
-- (images were made into a PDF on upload), with its checksum.
CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY,
    fse_id        INTEGER NOT NULL REFERENCES fse (id),
    kind          TEXT NOT NULL,
    state         TEXT NOT NULL,
    filename      TEXT,
    uploaded_type TEXT NOT NULL,
    pdf           BLOB NOT NULL,
    sha256        TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    pages         INTEGER NOT NULL,
    dpi           INTEGER,
    created       TEXT NOT NULL
);
CREATE INDEX attachments_by_fse ON attachments (fse_id);
