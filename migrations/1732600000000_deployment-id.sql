-- Up Migration

-- One row: this database's identity. Controlplanes that share a database are
-- one deployment and share one consumer group on the event stream; a second
-- deployment (or a test stack with its own database) on the same Redis gets
-- a group of its own, so it never takes the first one's events.
CREATE TABLE deployment (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  singleton  boolean NOT NULL DEFAULT true UNIQUE CHECK (singleton),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO deployment DEFAULT VALUES;

-- Down Migration
DROP TABLE deployment;
