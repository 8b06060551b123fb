-- Scheduled jobs: an alert when a run fails (the job's service is "failed"
-- on a node until a later run succeeds).
INSERT INTO alert_rule (name, params, updated_at) VALUES ('job_failed', '{}', 0);
