-- Up Migration
-- Reaching into a sandbox through the port proxy: who may (public_ports, or
-- the traffic token), and whether a proxied request wakes a paused one.
-- The traffic token is kept as issued (not hashed) because its team reads it
-- back from Get, as E2B's SDKs do; it opens nothing but the sandbox's ports.
ALTER TABLE sandboxes
  ADD COLUMN public_ports boolean NOT NULL DEFAULT false,
  ADD COLUMN auto_resume boolean NOT NULL DEFAULT false,
  ADD COLUMN traffic_token text;

-- Down Migration
ALTER TABLE sandboxes
  DROP COLUMN traffic_token,
  DROP COLUMN auto_resume,
  DROP COLUMN public_ports;
