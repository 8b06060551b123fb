-- A node's machine figures over time, from its heartbeats' facts: one point
-- a minute kept a day (res 60), one every ten minutes kept a week (res 600).
-- Per mille of CPU time busy, memory and the fullest disk used; the 1-minute
-- load in hundredths with the CPU count; -1 where the agent said nothing.
CREATE TABLE node_sample (
  node_id    INTEGER NOT NULL,
  res        INTEGER NOT NULL,
  at         INTEGER NOT NULL,
  cpu_pm     INTEGER NOT NULL,
  load1_c    INTEGER NOT NULL,
  cpu_count  INTEGER NOT NULL,
  mem_pm     INTEGER NOT NULL,
  disk_pm    INTEGER NOT NULL,
  PRIMARY KEY (node_id, res, at)
);
CREATE INDEX node_sample_age ON node_sample (res, at);
