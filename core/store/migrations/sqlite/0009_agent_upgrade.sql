-- Agent upgrades rolled out from the control plane in batches: a node
-- counts as upgraded once it heartbeats with the new agentVersion.
CREATE TABLE agent_upgrade (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  to_version   TEXT NOT NULL,
  selector     TEXT,
  sha256       TEXT NOT NULL,               -- {arch: digest} of the packages
  deadline_sec INTEGER NOT NULL,
  status       TEXT NOT NULL,               -- running, succeeded, failed
  error        TEXT,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  finished_at  INTEGER
);
CREATE TABLE agent_upgrade_node (
  upgrade_id   INTEGER NOT NULL REFERENCES agent_upgrade(id),
  node_id      INTEGER NOT NULL,
  batch        INTEGER NOT NULL,               -- 0: skipped
  status       TEXT NOT NULL,               -- pending, upgrading, upgraded, failed, skipped, cancelled
  from_version TEXT,
  task_id      INTEGER,
  started_at   INTEGER,
  finished_at  INTEGER,
  error        TEXT,
  PRIMARY KEY (upgrade_id, node_id)
);
CREATE INDEX agent_upgrade_running ON agent_upgrade (status);
