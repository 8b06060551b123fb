-- ACME Renewal Information (RFC 9773): the window the CA last suggested,
-- the moment chosen in it, and when to ask again.
ALTER TABLE ssl_certificate ADD COLUMN ari TEXT;              -- {start, end, explanationURL?} (ms)
ALTER TABLE ssl_certificate ADD COLUMN renew_after BIGINT;   -- NULL: the default window
ALTER TABLE ssl_certificate ADD COLUMN ari_check_at BIGINT NOT NULL DEFAULT 0;
