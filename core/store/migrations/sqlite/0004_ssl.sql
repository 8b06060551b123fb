-- Certificate center: ACME accounts, certificates with versions (keys
-- sealed with the master key), and HTTP-01 tokens being answered.

CREATE TABLE ssl_account (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace   TEXT NOT NULL DEFAULT 'default',
  directory   TEXT NOT NULL,
  email       TEXT NOT NULL DEFAULT '',
  key_sealed  TEXT NOT NULL,
  kid         TEXT,
  created_at  INTEGER NOT NULL,
  UNIQUE (namespace, directory, email)
);

CREATE TABLE ssl_certificate (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace       TEXT NOT NULL DEFAULT 'default',
  name            TEXT NOT NULL,
  domains         TEXT NOT NULL,
  source          TEXT NOT NULL CHECK (source IN ('acme', 'import')),
  status          TEXT NOT NULL CHECK (status IN ('pending', 'valid', 'failed')),
  request         TEXT NOT NULL DEFAULT '{}',   -- issuer, challenge, dns plugin, key type
  deploy          TEXT NOT NULL DEFAULT '{}',   -- nodes and paths renewals deploy to
  current_version INTEGER NOT NULL DEFAULT 0,
  failures        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  due             INTEGER NOT NULL DEFAULT 0,   -- 1: issue or renew when next_attempt_at passes
  last_error      TEXT,
  last_problem    TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  UNIQUE (namespace, name)
);
CREATE INDEX ssl_certificate_due ON ssl_certificate (due, next_attempt_at);

CREATE TABLE ssl_cert_version (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace   TEXT NOT NULL DEFAULT 'default',
  cert_id     INTEGER NOT NULL REFERENCES ssl_certificate (id) ON DELETE CASCADE,
  version     INTEGER NOT NULL,
  chain_pem   TEXT NOT NULL,
  key_sealed  TEXT NOT NULL,
  serial      TEXT NOT NULL,
  not_before  INTEGER NOT NULL,
  not_after   INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  issuer      TEXT NOT NULL,
  sans        TEXT NOT NULL,
  key_type    TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (cert_id, version)
);

CREATE TABLE ssl_http_challenge (
  token      TEXT PRIMARY KEY,
  namespace  TEXT NOT NULL DEFAULT 'default',
  key_auth   TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
