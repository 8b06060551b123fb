-- A token may be scoped to one object: "config:5" reads only configuration
-- item 5 (the blocking watch an application uses). NULL: no scope.
ALTER TABLE auth_token ADD COLUMN scope TEXT;
