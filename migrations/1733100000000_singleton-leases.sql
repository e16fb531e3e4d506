-- Up Migration
-- Which controlplane copy runs each singleton job (the reconciler's rounds,
-- the purges). A copy holds a lease by renewing it well inside its expiry; a
-- copy that dies stops renewing, and another takes the lease once it expires.
-- A row, not a session advisory lock, so it works the same on the embedded
-- PGlite (one pooled connection) and shows who holds what.
CREATE TABLE singleton_leases (
  name text PRIMARY KEY,
  holder text NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at timestamptz NOT NULL
);

-- Down Migration
DROP TABLE singleton_leases;
