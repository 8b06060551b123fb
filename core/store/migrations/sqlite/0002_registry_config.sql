-- Registry (services, endpoints, a change index) and configuration center
-- (items, immutable versions, releases).

CREATE TABLE registry_meta (
  namespace TEXT PRIMARY KEY,
  change_index INTEGER NOT NULL
);
INSERT INTO registry_meta (namespace, change_index) VALUES ('default', 1);

CREATE TABLE registry_service (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace    TEXT NOT NULL DEFAULT 'default',
  name         TEXT NOT NULL,
  protocol     TEXT NOT NULL CHECK (protocol IN ('http', 'tcp')),
  port         INTEGER NOT NULL,
  health_check TEXT NOT NULL DEFAULT '{}',
  metadata     TEXT NOT NULL DEFAULT '{}',
  modify_index INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  UNIQUE (namespace, name)
);

CREATE TABLE registry_endpoint (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace    TEXT NOT NULL DEFAULT 'default',
  service_id   INTEGER NOT NULL REFERENCES registry_service (id) ON DELETE CASCADE,
  node_id      INTEGER,
  ip           TEXT NOT NULL,
  port         INTEGER NOT NULL,
  weight       INTEGER NOT NULL DEFAULT 1,
  health       TEXT NOT NULL DEFAULT 'unknown' CHECK (health IN ('healthy', 'unhealthy', 'unknown')),
  health_note  TEXT,
  version      TEXT,
  source       TEXT NOT NULL CHECK (source IN ('agent', 'static')),
  metadata     TEXT NOT NULL DEFAULT '{}',
  ttl_sec      INTEGER,
  last_seen_at INTEGER,
  modify_index INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  UNIQUE (service_id, ip, port)
);
CREATE INDEX registry_endpoint_node ON registry_endpoint (node_id, source);
CREATE INDEX registry_endpoint_expiry ON registry_endpoint (source, last_seen_at);

CREATE TABLE config_item (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace        TEXT NOT NULL DEFAULT 'default',
  name             TEXT NOT NULL,
  format           TEXT NOT NULL CHECK (format IN ('text', 'json', 'yaml', 'ini', 'env')),
  secret           INTEGER NOT NULL DEFAULT 0,
  template         INTEGER NOT NULL DEFAULT 0,
  description      TEXT NOT NULL DEFAULT '',
  latest_version   INTEGER NOT NULL,
  released_version INTEGER,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  UNIQUE (namespace, name)
);

CREATE TABLE config_version (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace  TEXT NOT NULL DEFAULT 'default',
  item_id    INTEGER NOT NULL REFERENCES config_item (id) ON DELETE CASCADE,
  version    INTEGER NOT NULL,
  content    TEXT NOT NULL,           -- sealed ("v1:...") when the item is secret
  sha256     TEXT NOT NULL,           -- of the plain content
  size       INTEGER NOT NULL,
  author     TEXT NOT NULL,
  message    TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  UNIQUE (item_id, version)
);

CREATE TABLE config_release (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace   TEXT NOT NULL DEFAULT 'default',
  item_id     INTEGER NOT NULL REFERENCES config_item (id) ON DELETE CASCADE,
  version     INTEGER NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('publish', 'rollback')),
  note        TEXT NOT NULL DEFAULT '',
  released_by TEXT NOT NULL,
  released_at INTEGER NOT NULL
);
CREATE INDEX config_release_item ON config_release (item_id, id);
