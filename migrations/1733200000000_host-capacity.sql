-- Up Migration
-- What each host had left at its last heartbeat (GetHostInfo), for placement
-- and for admins (ListHosts). Zero until a host agent that reports it answers.
ALTER TABLE hosts
  ADD COLUMN free_memory_bytes bigint NOT NULL DEFAULT 0 CHECK (free_memory_bytes >= 0),
  ADD COLUMN load_average double precision NOT NULL DEFAULT 0 CHECK (load_average >= 0),
  ADD COLUMN disk_free_bytes bigint NOT NULL DEFAULT 0 CHECK (disk_free_bytes >= 0),
  ADD COLUMN sandbox_count integer NOT NULL DEFAULT 0 CHECK (sandbox_count >= 0),
  ADD COLUMN sandbox_memory_bytes bigint NOT NULL DEFAULT 0 CHECK (sandbox_memory_bytes >= 0);

-- Down Migration
ALTER TABLE hosts
  DROP COLUMN free_memory_bytes,
  DROP COLUMN load_average,
  DROP COLUMN disk_free_bytes,
  DROP COLUMN sandbox_count,
  DROP COLUMN sandbox_memory_bytes;
