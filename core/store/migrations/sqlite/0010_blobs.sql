-- Blobs: uploaded artifacts, content-addressed. The bytes live in the blob
-- directory (DATA-DIR/blobs, shared between replicas); rows say what exists
-- and which releases use it, so a blob in use cannot be deleted.
CREATE TABLE blob (
  sha256      TEXT PRIMARY KEY,
  size        INTEGER NOT NULL,
  name        TEXT,
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE TABLE blob_ref (
  sha256      TEXT NOT NULL REFERENCES blob(sha256),
  release_id  INTEGER NOT NULL REFERENCES app_release (id) ON DELETE CASCADE,
  PRIMARY KEY (sha256, release_id)
);
CREATE INDEX blob_ref_release ON blob_ref (release_id);
