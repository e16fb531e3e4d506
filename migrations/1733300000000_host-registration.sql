-- Up Migration
-- Host registration and mutual TLS. One CA (a single row) signs every host's
-- serving certificate and every controlplane copy's client certificate, so
-- all copies trust the same hosts. Its key is encrypted with WRENN_SECRETS_KEY
-- when that is set (key_encryption says how it was stored).
CREATE TABLE host_ca (
  id              smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  certificate_pem text NOT NULL,
  private_key     text NOT NULL,
  key_encryption  text NOT NULL CHECK (key_encryption IN ('none', 'aes-256-gcm')),
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- One-time registration tokens; only a hash of the secret is kept.
CREATE TABLE host_tokens (
  id          uuid PRIMARY KEY,
  token_hash  text NOT NULL UNIQUE,
  created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  used_by     uuid,
  created_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE hosts DROP CONSTRAINT hosts_status_check;
ALTER TABLE hosts
  ADD CONSTRAINT hosts_status_check CHECK (status IN ('online', 'unreachable', 'draining', 'revoked')),
  -- Set for hosts that joined with a token; they are dialled over mutual TLS.
  ADD COLUMN registered_at timestamptz,
  -- The DNS name in the host's certificate, checked on every connection.
  ADD COLUMN server_name text NOT NULL DEFAULT '',
  ADD COLUMN certificate_fingerprint text NOT NULL DEFAULT '',
  ADD COLUMN certificate_expires_at timestamptz,
  ADD COLUMN port_proxy_address text NOT NULL DEFAULT '',
  ADD COLUMN revoked_at timestamptz;

-- Down Migration
ALTER TABLE hosts
  DROP COLUMN registered_at,
  DROP COLUMN server_name,
  DROP COLUMN certificate_fingerprint,
  DROP COLUMN certificate_expires_at,
  DROP COLUMN port_proxy_address,
  DROP COLUMN revoked_at;
UPDATE hosts SET status = 'unreachable' WHERE status = 'revoked';
ALTER TABLE hosts DROP CONSTRAINT hosts_status_check;
ALTER TABLE hosts ADD CONSTRAINT hosts_status_check CHECK (status IN ('online', 'unreachable', 'draining'));
DROP TABLE host_tokens;
DROP TABLE host_ca;
