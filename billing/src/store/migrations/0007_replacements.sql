-- Replacement sessions and assistants' grants. Each row keeps its JSON (`body`, the whole
-- session or grant) and the columns the rules query; every change rewrites both in one
-- transaction.
CREATE TABLE replacement_sessions (
    id         INTEGER PRIMARY KEY,
    replaced   TEXT NOT NULL,
    substitute TEXT NOT NULL,
    start      TEXT NOT NULL,
    end        TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('open', 'closed', 'purged')),
    body       TEXT NOT NULL
);
CREATE INDEX replacement_by_replaced ON replacement_sessions (replaced, state);
CREATE INDEX replacement_by_substitute ON replacement_sessions (substitute, state);

CREATE TABLE assistant_grants (
    id           INTEGER PRIMARY KEY,
    practitioner TEXT NOT NULL,
    assistant    TEXT NOT NULL,
    body         TEXT NOT NULL
);
CREATE INDEX assistant_by_key ON assistant_grants (assistant, practitioner);

-- The session an FSE was drawn in (its replacement part), for the purge.
ALTER TABLE fse ADD COLUMN replacement_session INTEGER REFERENCES replacement_sessions (id);
CREATE INDEX fse_by_replacement ON fse (replacement_session);
