-- Up Migration

-- Pause and resume: a sandbox can be frozen and brought back. `pausing` and
-- `resuming` are the transient states while the host agent works on it.
ALTER TABLE sandboxes DROP CONSTRAINT sandboxes_status_check;
ALTER TABLE sandboxes ADD CONSTRAINT sandboxes_status_check
  CHECK (status IN ('starting', 'running', 'pausing', 'paused', 'resuming', 'stopping', 'stopped', 'error', 'missing'));

-- What the sandbox asked for at create time, so the API can show it. The TTL
-- itself is enforced by the host agent; expires_at mirrors its answer.
ALTER TABLE sandboxes
  ADD COLUMN on_expiry text NOT NULL DEFAULT 'kill' CHECK (on_expiry IN ('kill', 'pause')),
  ADD COLUMN expires_at timestamptz;

-- Down Migration
ALTER TABLE sandboxes DROP COLUMN expires_at, DROP COLUMN on_expiry;
ALTER TABLE sandboxes DROP CONSTRAINT sandboxes_status_check;
ALTER TABLE sandboxes ADD CONSTRAINT sandboxes_status_check
  CHECK (status IN ('starting', 'running', 'stopping', 'stopped', 'error', 'missing'));
