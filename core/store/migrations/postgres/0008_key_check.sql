-- A value sealed with master.key when the store was first opened: a replica
-- (or a restored data dir) with another key refuses to start instead of
-- splitting the secrets between two keys.
CREATE TABLE store_key_check (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  sealed TEXT NOT NULL
);
