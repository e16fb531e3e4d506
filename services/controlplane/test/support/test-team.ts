import { randomBytes } from "node:crypto";
import { Metadata } from "nice-grpc";
import type { DatabasePool } from "slonik";
import { createApiKeyRepository } from "../../src/db/identity/api-key-repository.js";
import { createUserRepository } from "../../src/db/identity/user-repository.js";

export interface TestTeam {
  /** UUIDs, as the database keeps them (wire ids: toWireId("team", teamId)). */
  teamId: string;
  userId: string;
  /** The whole key, for `authorization: Bearer` or `x-api-key`. */
  apiKey: string;
  keyPrefix: string;
}

/**
 * A new user (unique email, no password) who owns a new personal team named
 * `name`, and an API key of that team made by them: what most tests act as.
 */
export async function createTestTeam(pool: DatabasePool, name = "test team"): Promise<TestTeam> {
  const email = `test-${randomBytes(6).toString("hex")}@example.test`;
  const created = await createUserRepository(pool).createWithPersonalTeam({ email, passwordHash: null }, name);
  if (!created) throw new Error(`test user ${email} already exists`);
  const { key, secret } = await createApiKeyRepository(pool).create({
    teamId: created.team.id,
    name: "test key",
    createdBy: created.user.id,
    expiresAt: null,
  });
  return { teamId: created.team.id, userId: created.user.id, apiKey: secret, keyPrefix: key.prefix };
}

/** Default call options for nice-grpc's createClient (third argument): every call carries the key. */
export function withApiKey(apiKey: string): { "*": { metadata: Metadata } } {
  return { "*": { metadata: Metadata({ authorization: `Bearer ${apiKey}` }) } };
}

/** The same key as HTTP request headers. */
export function apiKeyHeaders(apiKey: string): Record<string, string> {
  return { authorization: `Bearer ${apiKey}` };
}
