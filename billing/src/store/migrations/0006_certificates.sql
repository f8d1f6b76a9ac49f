-- The signer's certificate, kept once instead of in every FSE row: the same CPS
-- certificate (about 1 KB) signs thousands of FSE, and a heavy row makes every later
-- state move (sent, acknowledged, paid) rewrite a page of its own (bench_returns).
CREATE TABLE certificates (
    id  INTEGER PRIMARY KEY,
    der BLOB NOT NULL UNIQUE
);

INSERT OR IGNORE INTO certificates (der)
    SELECT DISTINCT certificate FROM fse WHERE certificate IS NOT NULL;

ALTER TABLE fse ADD COLUMN certificate_id INTEGER REFERENCES certificates (id);

UPDATE fse
   SET certificate_id = (SELECT c.id FROM certificates c WHERE c.der = fse.certificate),
       certificate = NULL
 WHERE certificate IS NOT NULL;
