-- Up Migration

-- Users sign up with email and password (argon2id, PHC string) or arrive
-- through OIDC (password_hash null). deleted_at is a soft delete: the row is
-- purged 15 days later and its audit rows anonymized.
CREATE TABLE users (
  id             uuid PRIMARY KEY,
  email          text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  display_name   text NOT NULL DEFAULT '' CHECK (length(display_name) <= 200),
  password_hash  text,
  is_admin       boolean NOT NULL DEFAULT false,
  deactivated_at timestamptz,
  deleted_at     timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_idx ON users (lower(email));
CREATE INDEX users_admin_idx ON users (id) WHERE is_admin;

-- Who a user is at an OIDC or OAuth provider ("github", "oidc").
CREATE TABLE user_identities (
  provider   text NOT NULL,
  subject    text NOT NULL,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, subject)
);

CREATE TABLE teams (
  id            uuid PRIMARY KEY,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  -- The user whose personal team this is (made at signup); null for others.
  personal_for  uuid UNIQUE REFERENCES users (id) ON DELETE SET NULL,
  sandbox_quota integer NOT NULL DEFAULT 20 CHECK (sandbox_quota >= 0),
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE team_members (
  team_id    uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role       text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_idx ON team_members (user_id);

-- One-time invitation tokens, stored as SHA-256.
CREATE TABLE team_invites (
  id          uuid PRIMARY KEY,
  team_id     uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  email       text NOT NULL,
  role        text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  token_hash  bytea NOT NULL UNIQUE,
  invited_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  expires_at  timestamptz NOT NULL,
  accepted_at timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- API keys: a team's, shown once, stored as SHA-256 of the whole key (keys
-- are 32 random bytes, so a fast hash is enough; a KDF is for passwords).
CREATE TABLE api_keys (
  id           uuid PRIMARY KEY,
  team_id      uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  prefix       text NOT NULL,
  secret_hash  bytea NOT NULL UNIQUE,
  expires_at   timestamptz,
  last_used_at timestamptz,
  revoked_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_team_idx ON api_keys (team_id);

-- Browser sessions: opaque tokens, stored as SHA-256, short-lived and
-- rotated through a refresh token (also hashed). revoked_at ends both.
CREATE TABLE sessions (
  id                 uuid PRIMARY KEY,
  user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash         bytea NOT NULL UNIQUE,
  refresh_hash       bytea NOT NULL UNIQUE,
  csrf_token         text NOT NULL,
  expires_at         timestamptz NOT NULL,
  refresh_expires_at timestamptz NOT NULL,
  revoked_at         timestamptz,
  ip                 text NOT NULL DEFAULT '',
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- An OIDC / OAuth login in flight: state, PKCE verifier and nonce, so any
-- controlplane copy can finish what another started. Single use.
CREATE TABLE oidc_logins (
  state_hash    bytea PRIMARY KEY,
  provider      text NOT NULL,
  code_verifier text NOT NULL,
  nonce         text NOT NULL,
  return_to     text NOT NULL DEFAULT '/',
  expires_at    timestamptz NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Every state-changing action. No foreign keys: entries outlive what they name
-- (a purge anonymizes them instead).
CREATE TABLE audit_logs (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  scope            text NOT NULL CHECK (scope IN ('team', 'admin')),
  team_id          uuid,
  actor_user_id    uuid,
  actor_name       text NOT NULL,
  actor_key_prefix text NOT NULL DEFAULT '',
  action           text NOT NULL,
  resource_type    text NOT NULL,
  resource_id      text NOT NULL DEFAULT '',
  result           text NOT NULL CHECK (result IN ('success', 'failure')),
  ip               text NOT NULL DEFAULT '',
  details          jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_team_idx ON audit_logs (team_id, id DESC);
CREATE INDEX audit_logs_scope_idx ON audit_logs (scope, id DESC);
CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_user_id);

-- A sandbox belongs to a team. Rows from before teams existed have none and
-- are reachable by platform admins only.
ALTER TABLE sandboxes ADD COLUMN team_id uuid REFERENCES teams (id) ON DELETE SET NULL;
CREATE INDEX sandboxes_team_idx ON sandboxes (team_id, created_at) WHERE status <> 'stopped';

-- Down Migration
DROP INDEX sandboxes_team_idx;
ALTER TABLE sandboxes DROP COLUMN team_id;
DROP TABLE audit_logs;
DROP TABLE oidc_logins;
DROP TABLE sessions;
DROP TABLE api_keys;
DROP TABLE team_invites;
DROP TABLE team_members;
DROP TABLE teams;
DROP TABLE user_identities;
DROP TABLE users;
