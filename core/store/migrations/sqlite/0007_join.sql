-- One-time join tokens: an agent exchanges one for its node and its own
-- long-lived token (POST /agent/join). Stored as SHA-256 only.
CREATE TABLE auth_join_token (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace   TEXT NOT NULL DEFAULT 'default',
  name        TEXT NOT NULL,
  secret_hash TEXT NOT NULL UNIQUE,
  labels      TEXT NOT NULL DEFAULT '{}',  -- given to the node that joins
  created_by  INTEGER,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked_at  INTEGER,
  used_at     INTEGER,
  node_id     INTEGER                      -- the node that joined with it
);
