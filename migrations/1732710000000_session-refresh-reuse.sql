-- Up Migration

-- The refresh token a session had before its last rotation, so a second use
-- of it is recognised (a replayed, stolen token) and revokes the session,
-- instead of looking like any unknown token.
ALTER TABLE sessions ADD COLUMN previous_refresh_hash bytea;
CREATE UNIQUE INDEX sessions_previous_refresh_idx ON sessions (previous_refresh_hash) WHERE previous_refresh_hash IS NOT NULL;

-- Down Migration
DROP INDEX sessions_previous_refresh_idx;
ALTER TABLE sessions DROP COLUMN previous_refresh_hash;
