-- Up Migration
-- A credential for one sandbox (Sandbox.access_token, "wra_…"): its process,
-- file and port calls only. Kept as issued, like the traffic token, because
-- its team reads it back (E2B's connect answers it again); the unique index
-- is the lookup the authentication hook makes on every call that carries one.
ALTER TABLE sandboxes
  ADD COLUMN access_token text;
CREATE UNIQUE INDEX sandboxes_access_token_key ON sandboxes (access_token) WHERE access_token IS NOT NULL;

-- Down Migration
DROP INDEX sandboxes_access_token_key;
ALTER TABLE sandboxes
  DROP COLUMN access_token;
