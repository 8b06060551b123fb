-- Named notify channels: defined once (plugin, sealed config, severities,
-- template), referenced by rules as {"channel": NAME}, tested on their own.
CREATE TABLE alert_channel (
  namespace   TEXT NOT NULL DEFAULT 'default',
  name        TEXT NOT NULL,
  spec        TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  PRIMARY KEY (namespace, name)
);
