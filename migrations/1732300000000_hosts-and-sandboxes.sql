-- Up Migration

-- Hosts are machines running a host agent. The controlplane upserts a row when
-- it reaches a host (GetHostInfo) and refreshes last_seen_at on every contact.
CREATE TABLE hosts (
  id            uuid PRIMARY KEY,
  -- The id the host agent reports for itself, kept verbatim.
  agent_host_id text NOT NULL,
  address       text NOT NULL,
  status        text NOT NULL DEFAULT 'online'
                CHECK (status IN ('online', 'unreachable', 'draining')),
  runtime       text NOT NULL DEFAULT '',
  cpu_count     integer NOT NULL DEFAULT 0 CHECK (cpu_count >= 0),
  memory_bytes  bigint NOT NULL DEFAULT 0 CHECK (memory_bytes >= 0),
  templates     text[] NOT NULL DEFAULT '{}',
  version       text NOT NULL DEFAULT '',
  last_seen_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Sandboxes hold only what is safe to keep: environment variables passed at
-- create time go to the host agent and are never written here.
CREATE TABLE sandboxes (
  id          uuid PRIMARY KEY,
  template_id text NOT NULL CHECK (length(template_id) BETWEEN 1 AND 128),
  status      text NOT NULL
              CHECK (status IN ('starting', 'running', 'stopping', 'stopped', 'error', 'missing')),
  host_id     uuid REFERENCES hosts (id),
  metadata    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
  error       text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Listing skips stopped sandboxes; the reconciler scans transient ones.
CREATE INDEX sandboxes_active_idx ON sandboxes (created_at) WHERE status <> 'stopped';
CREATE INDEX sandboxes_host_idx ON sandboxes (host_id) WHERE status <> 'stopped';

-- Down Migration
DROP TABLE sandboxes;
DROP TABLE hosts;
