-- Foundation: tokens, nodes, tasks, audit. Times are Unix milliseconds.
-- Every table keeps a namespace column: single tenant today, room for more.

CREATE TABLE auth_token (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace    TEXT NOT NULL DEFAULT 'default',
  name         TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('admin', 'agent')),
  node_id      INTEGER,
  secret_hash  TEXT NOT NULL UNIQUE,
  permissions  TEXT NOT NULL DEFAULT '[]',
  created_by   INTEGER,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  revoked_at   INTEGER,
  last_used_at INTEGER
);
CREATE INDEX auth_token_node ON auth_token (node_id);

CREATE TABLE cluster_node (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace         TEXT NOT NULL DEFAULT 'default',
  name              TEXT NOT NULL,
  ip                TEXT NOT NULL,
  labels            TEXT NOT NULL DEFAULT '{}',
  agent_status      TEXT NOT NULL DEFAULT 'offline' CHECK (agent_status IN ('online', 'offline')),
  cordoned          INTEGER NOT NULL DEFAULT 0,
  capabilities      TEXT NOT NULL DEFAULT '{}',
  facts             TEXT NOT NULL DEFAULT '{}',
  agent_version     TEXT,
  last_heartbeat_at INTEGER,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  UNIQUE (namespace, name)
);

CREATE TABLE cluster_task (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace       TEXT NOT NULL DEFAULT 'default',
  node_id         INTEGER NOT NULL,
  type            TEXT NOT NULL,
  payload         TEXT NOT NULL,
  status          TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  attempt         INTEGER NOT NULL DEFAULT 0,
  max_retries     INTEGER NOT NULL DEFAULT 3,
  timeout_sec     INTEGER NOT NULL DEFAULT 300,
  idempotency_key TEXT,
  error_message   TEXT,
  stdout          TEXT,
  stderr          TEXT,
  exit_code       INTEGER,
  result          TEXT,
  lease_until     INTEGER,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  trace_id        TEXT NOT NULL,
  created_by      TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  delivered_at    INTEGER,
  started_at      INTEGER,
  finished_at     INTEGER
);
CREATE INDEX cluster_task_node_status ON cluster_task (node_id, status, id);
CREATE INDEX cluster_task_status_lease ON cluster_task (status, lease_until);
CREATE INDEX cluster_task_trace ON cluster_task (trace_id);
CREATE UNIQUE INDEX cluster_task_idem ON cluster_task (node_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE TABLE cluster_task_dep (
  namespace TEXT NOT NULL DEFAULT 'default',
  task_id INTEGER NOT NULL REFERENCES cluster_task (id),
  dep_id  INTEGER NOT NULL REFERENCES cluster_task (id),
  PRIMARY KEY (task_id, dep_id)
);
CREATE INDEX cluster_task_dep_rev ON cluster_task_dep (dep_id);

CREATE TABLE audit_event (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace   TEXT NOT NULL DEFAULT 'default',
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id   TEXT,
  trace_id    TEXT,
  source_ip   TEXT,
  details     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_event_target ON audit_event (target_type, target_id, id);
CREATE INDEX audit_event_action ON audit_event (action, id);
CREATE INDEX audit_event_trace ON audit_event (trace_id);
