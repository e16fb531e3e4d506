-- Up Migration

-- What the host gave the sandbox (vCPUs, guest RAM, root disk), as its host
-- agent reports it when the sandbox starts or resumes; NULL until then.
ALTER TABLE sandboxes
  ADD COLUMN vcpus      integer CHECK (vcpus IS NULL OR vcpus > 0),
  ADD COLUMN memory_mib integer CHECK (memory_mib IS NULL OR memory_mib > 0),
  ADD COLUMN disk_mib   integer CHECK (disk_mib IS NULL OR disk_mib > 0),
  -- When the sandbox became stopped: it stays readable for the retention
  -- time after that (WRENN_STOPPED_RETENTION_SECONDS), then it is purged.
  ADD COLUMN stopped_at timestamptz;

UPDATE sandboxes SET stopped_at = updated_at WHERE status = 'stopped';

CREATE INDEX sandboxes_stopped_idx ON sandboxes (stopped_at) WHERE status = 'stopped';

-- Down Migration
DROP INDEX sandboxes_stopped_idx;
ALTER TABLE sandboxes DROP COLUMN stopped_at, DROP COLUMN disk_mib, DROP COLUMN memory_mib, DROP COLUMN vcpus;
