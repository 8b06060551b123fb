-- Applications, ingresses and releases (design.md 6.2), with the per-batch and
-- per-node progress the reconciler advances from stored state.

CREATE TABLE app_application (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace          TEXT NOT NULL DEFAULT 'default',
  name               TEXT NOT NULL,
  type               TEXT NOT NULL CHECK (type IN ('SystemdService', 'ReverseProxy')),
  labels             TEXT NOT NULL DEFAULT '{}',
  selector           TEXT NOT NULL DEFAULT '{}',
  desired_state      TEXT NOT NULL DEFAULT 'Running' CHECK (desired_state IN ('Running', 'Stopped')),
  spec               TEXT NOT NULL DEFAULT '{}',
  strategy           TEXT NOT NULL DEFAULT '{}',
  rollback_mode      TEXT NOT NULL DEFAULT 'manual' CHECK (rollback_mode IN ('auto', 'manual')),
  require_approval   INTEGER NOT NULL DEFAULT 0,
  current_release_id INTEGER,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  UNIQUE (namespace, name)
);

CREATE TABLE app_ingress (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace         TEXT NOT NULL DEFAULT 'default',
  app_id            INTEGER NOT NULL REFERENCES app_application (id) ON DELETE CASCADE,
  spec              TEXT NOT NULL,
  nginx_site_name   TEXT NOT NULL,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE INDEX app_ingress_app ON app_ingress (app_id);

CREATE TABLE app_release (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace           TEXT NOT NULL DEFAULT 'default',
  app_id              INTEGER NOT NULL REFERENCES app_application (id) ON DELETE CASCADE,
  version             INTEGER NOT NULL,
  kind                TEXT NOT NULL CHECK (kind IN ('deploy', 'rollback', 'stop')),
  status              TEXT NOT NULL CHECK (status IN ('created', 'approved', 'running', 'paused',
                        'succeeded', 'failed', 'rolled_back', 'cancelled')),
  previous_release_id INTEGER,
  rollback_of         INTEGER,
  target_nodes        TEXT,            -- explicit node ids (rollbacks), else the selector decides
  artifacts           TEXT NOT NULL,
  diff                TEXT NOT NULL DEFAULT '{}',
  diff_text           TEXT NOT NULL DEFAULT '',
  plan                TEXT,
  error               TEXT,
  note                TEXT NOT NULL DEFAULT '',
  trace_id            TEXT,
  created_by          TEXT NOT NULL,
  approved_by         TEXT,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  started_at          INTEGER,
  finished_at         INTEGER,
  UNIQUE (app_id, version)
);
CREATE INDEX app_release_status ON app_release (status);

CREATE TABLE app_release_batch (
  namespace   TEXT NOT NULL DEFAULT 'default',
  release_id  INTEGER NOT NULL REFERENCES app_release (id) ON DELETE CASCADE,
  idx         INTEGER NOT NULL,
  spec        TEXT NOT NULL,           -- the batch as batch.lua planned it
  status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done')),
  decision    TEXT,
  not_before  INTEGER NOT NULL DEFAULT 0,
  started_at  INTEGER,
  finished_at INTEGER,
  PRIMARY KEY (release_id, idx)
);

CREATE TABLE app_release_node (
  namespace   TEXT NOT NULL DEFAULT 'default',
  release_id  INTEGER NOT NULL REFERENCES app_release (id) ON DELETE CASCADE,
  node_id     INTEGER NOT NULL,
  batch       INTEGER NOT NULL,        -- 0: skipped
  status      TEXT NOT NULL DEFAULT 'pending'
              CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'timeout', 'skipped')),
  tasks       TEXT NOT NULL DEFAULT '[]',
  error       TEXT,
  started_at  INTEGER,
  finished_at INTEGER,
  PRIMARY KEY (release_id, node_id)
);

-- What the upstream sync last deployed for a ReverseProxy application.
CREATE TABLE app_site_state (
  namespace      TEXT NOT NULL DEFAULT 'default',
  app_id         INTEGER PRIMARY KEY REFERENCES app_application (id) ON DELETE CASCADE,
  content_sha256 TEXT NOT NULL,
  registry_index INTEGER NOT NULL DEFAULT 0,
  updated_at     INTEGER NOT NULL
);
