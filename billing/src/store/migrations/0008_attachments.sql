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
-- The degraded FSE alone, by care date: what still needs its copy is found without
-- reading every FSE's body (the reconciliation asks on each report).
CREATE INDEX fse_degraded_by_care_date ON fse (care_date)
    WHERE json_extract(body, '$.mode') = 'degradee';
