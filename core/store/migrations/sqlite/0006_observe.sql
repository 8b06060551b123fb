-- Drift (desired vs actual per node), alerts and their deliveries.

-- Who a task works for ("app:12", "cert:3"); drift heals and attributes by it.
ALTER TABLE cluster_task ADD COLUMN owner TEXT;
CREATE INDEX cluster_task_owner ON cluster_task (node_id, owner, status);

-- What a node should have, recorded when the task that put it there
-- succeeded: item is "file:/etc/x.conf", "unit-active:x.service",
-- "unit-enabled:x.service", "cert:443:example.com" or "nginx".
CREATE TABLE drift_desired (
  namespace  TEXT NOT NULL DEFAULT 'default',
  node_id    INTEGER NOT NULL,
  item       TEXT NOT NULL,
  owner      TEXT NOT NULL DEFAULT '',
  expect     TEXT NOT NULL,            -- {"sha256": ...} / {"active": true} / ...
  task_id    INTEGER NOT NULL,         -- the task that restores it
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (node_id, item)
);
CREATE INDEX drift_desired_owner ON drift_desired (owner, node_id);

-- The last state report of each node (hashes, unit states), as received.
CREATE TABLE drift_report (
  namespace   TEXT NOT NULL DEFAULT 'default',
  node_id     INTEGER PRIMARY KEY,
  report      TEXT NOT NULL,
  received_at INTEGER NOT NULL
);

-- The verdict per node and owner after the last evaluation.
CREATE TABLE drift_verdict (
  namespace  TEXT NOT NULL DEFAULT 'default',
  node_id    INTEGER NOT NULL,
  owner      TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('converged', 'drifted', 'pending', 'unknown')),
  details    TEXT NOT NULL DEFAULT '[]',
  since      INTEGER NOT NULL,
  heals      TEXT NOT NULL DEFAULT '[]',  -- times of recent heals (ms), for rate limits
  decision   TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (node_id, owner)
);
CREATE INDEX drift_verdict_status ON drift_verdict (status);

CREATE TABLE alert_rule (
  namespace TEXT NOT NULL DEFAULT 'default',
  name      TEXT NOT NULL,
  enabled   INTEGER NOT NULL DEFAULT 1,
  params    TEXT NOT NULL DEFAULT '{}',
  notify    TEXT NOT NULL DEFAULT '[]',   -- [{plugin, config}]; secrets sealed
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (namespace, name)
);
INSERT INTO alert_rule (name, params, updated_at) VALUES
  ('certificate_expiring', '{"days": 14}', 0),
  ('certificate_renewal_failed', '{}', 0),
  ('node_offline', '{"seconds": 60}', 0),
  ('release_failed', '{}', 0),
  ('drift_detected', '{}', 0),
  ('policy_load_failed', '{}', 0);

CREATE TABLE alert (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace       TEXT NOT NULL DEFAULT 'default',
  rule            TEXT NOT NULL,
  subject         TEXT NOT NULL,        -- "node:3", "app:2:node:5", "cert:7", ...
  severity        TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  status          TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
  summary         TEXT NOT NULL,
  details         TEXT NOT NULL DEFAULT '{}',
  fired_at        INTEGER NOT NULL,
  resolved_at     INTEGER,
  acknowledged_by TEXT,
  acknowledged_at INTEGER
);
-- At most one firing alert per rule and subject: an alert fires once.
CREATE UNIQUE INDEX alert_firing ON alert (rule, subject) WHERE status = 'firing';
CREATE INDEX alert_status ON alert (status, id);

CREATE TABLE alert_delivery (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace       TEXT NOT NULL DEFAULT 'default',
  alert_id        INTEGER NOT NULL REFERENCES alert (id) ON DELETE CASCADE,
  event           TEXT NOT NULL CHECK (event IN ('firing', 'resolved')),
  channel         INTEGER NOT NULL,     -- index into the rule's notify list
  plugin          TEXT NOT NULL,
  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  sent_at         INTEGER,
  created_at      INTEGER NOT NULL
);
CREATE INDEX alert_delivery_due ON alert_delivery (status, next_attempt_at);

CREATE INDEX audit_event_actor ON audit_event (actor, id);
CREATE INDEX audit_event_at ON audit_event (at);
