-- When the practitioner said a lot's paper duplicate was posted to the caisse (the lot stays
-- `paper`; nothing more is asked of it).
ALTER TABLE lots ADD COLUMN paper_posted TEXT;
