-- Stored DNS providers for DNS-01: a plugin with its settings and sealed
-- credentials (spec), for the zones it serves.
CREATE TABLE ssl_dns_provider (
  namespace   TEXT NOT NULL DEFAULT 'default',
  name        TEXT NOT NULL,
  plugin      TEXT NOT NULL,
  zones       TEXT NOT NULL,
  spec        TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  PRIMARY KEY (namespace, name)
);
