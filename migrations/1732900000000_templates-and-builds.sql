-- Up Migration
-- Templates users can start sandboxes from, and the builds that make them.
-- A template belongs to a team, or to the platform (team_id null) and then
-- every team may use it. Its files live on a host under host_template_id;
-- platform base templates exist on every host (host_id null).
CREATE TABLE templates (
  id                uuid PRIMARY KEY,
  team_id           uuid REFERENCES teams (id) ON DELETE CASCADE,
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 63),
  tag               text NOT NULL CHECK (length(tag) BETWEEN 1 AND 64),
  -- 'ready'; 'superseded' once a newer build took its name:tag (reachable by
  -- id only, deleted when no sandbox uses it); 'deleting' while its files go.
  status            text NOT NULL DEFAULT 'ready'
                    CHECK (status IN ('ready', 'superseded', 'deleting')),
  host_template_id  text NOT NULL CHECK (length(host_template_id) BETWEEN 1 AND 128),
  host_id           uuid REFERENCES hosts (id),
  vcpus             integer NOT NULL CHECK (vcpus >= 0),
  memory_mib        integer NOT NULL CHECK (memory_mib >= 0),
  disk_mib          integer NOT NULL CHECK (disk_mib >= 0),
  default_user      text NOT NULL DEFAULT '',
  default_workdir   text NOT NULL DEFAULT '',
  envs              jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(envs) = 'object'),
  parent            text NOT NULL DEFAULT '',
  build_id          uuid,
  source_sandbox_id uuid,
  disk_bytes        bigint NOT NULL DEFAULT 0 CHECK (disk_bytes >= 0),
  created_at        timestamptz NOT NULL DEFAULT now()
);

-- One ready template per owner, name and tag (platform rows share the nil owner).
CREATE UNIQUE INDEX templates_name_idx
  ON templates (coalesce(team_id, '00000000-0000-0000-0000-000000000000'::uuid), name, tag)
  WHERE status = 'ready';

CREATE TABLE builds (
  id              uuid PRIMARY KEY,
  team_id         uuid REFERENCES teams (id) ON DELETE CASCADE,
  platform        boolean NOT NULL DEFAULT false,
  name            text NOT NULL,
  tag             text NOT NULL,
  recipe          text NOT NULL,
  from_template   uuid,
  status          text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  error           text NOT NULL DEFAULT '',
  failed_line     integer NOT NULL DEFAULT 0,
  steps_total     integer NOT NULL DEFAULT 0,
  steps_done      integer NOT NULL DEFAULT 0,
  steps_cached    integer NOT NULL DEFAULT 0,
  vcpus           integer NOT NULL DEFAULT 0,
  memory_mib      integer NOT NULL DEFAULT 0,
  disk_mib        integer NOT NULL DEFAULT 0,
  host_id         uuid REFERENCES hosts (id),
  -- The id the host agent builds the template under.
  host_template_id text NOT NULL DEFAULT '',
  template_id     uuid,
  archive_sha256  text NOT NULL DEFAULT '',
  archive_bytes   bigint NOT NULL DEFAULT 0,
  -- The last host event stored (the follower resumes after it).
  last_seq        bigint NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  finished_at     timestamptz
);

CREATE INDEX builds_team_idx ON builds (team_id, created_at DESC);
CREATE INDEX builds_active_idx ON builds (created_at) WHERE status IN ('queued', 'running');

-- A build's progress, in order: its log.
CREATE TABLE build_events (
  build_id uuid NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  seq      bigint NOT NULL,
  at       timestamptz NOT NULL DEFAULT now(),
  -- The event: one kind with the fields of wrenn.api.v1.BuildEvent (camelCase; without seq and at),
  -- its ended kind naming the template made by row id (services/controlplane/src/templates/build.ts).
  event    jsonb NOT NULL,
  PRIMARY KEY (build_id, seq)
);

-- The template row a sandbox was made from (null for sandboxes made before
-- templates had rows); deleting a template counts these.
ALTER TABLE sandboxes ADD COLUMN template_uuid uuid;
CREATE INDEX sandboxes_template_idx ON sandboxes (template_uuid) WHERE status <> 'stopped';

-- Down Migration
DROP INDEX sandboxes_template_idx;
ALTER TABLE sandboxes DROP COLUMN template_uuid;
DROP TABLE build_events;
DROP TABLE builds;
DROP TABLE templates;
