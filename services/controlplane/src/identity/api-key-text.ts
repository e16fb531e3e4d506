import { createHash, randomBytes } from "node:crypto";

/**
 * The text forms of the secrets Wrenn hands out, and their one hash. Each is
 * 32 random bytes in base64url behind a short tag, so a leaked string says
 * what it is (and secret scanners can match it). Only SHA-256 of the whole
 * text is stored: the secrets are random, so a fast hash is enough (a KDF is
 * for passwords, which are not).
 */
const secretBytes = 32;

/**
 * Either text form of an API key: "wrn_" and 43 base64url characters, or
 * the E2B form, "e2b_" and 64 lower-case hex digits (the same 32 random
 * bytes, in the shape E2B SDKs check on the client before they send a key).
 * Both work alike everywhere.
 */
export const apiKeyPattern = /^(wrn_[A-Za-z0-9_-]{43}|e2b_[0-9a-f]{64})$/;

/** The tags a string must start with to be logged by its prefix as a (malformed) key. */
export const apiKeyTags = ["wrn_", "e2b_"] as const;

/** How many leading characters of a key are shown in lists and logs: the tag and 8 more. */
export const apiKeyPrefixLength = 12;

export type ApiKeyTextFormat = "wrenn" | "e2b";

export function newApiKeyText(format: ApiKeyTextFormat = "wrenn"): string {
  const bytes = randomBytes(secretBytes);
  return format === "e2b" ? `e2b_${bytes.toString("hex")}` : `wrn_${bytes.toString("base64url")}`;
}

/** The visible part of a key (also of a malformed one, for logs: never more than 12 characters). */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, apiKeyPrefixLength);
}

/** A browser session's token ("wrs_…"), its refresh token ("wrr_…") and its CSRF token (no tag: a JS-readable cookie). */
export function newSessionToken(): string {
  return `wrs_${randomBytes(secretBytes).toString("base64url")}`;
}

export function newRefreshToken(): string {
  return `wrr_${randomBytes(secretBytes).toString("base64url")}`;
}

/**
 * A sandbox's access token ("wra_…"): a credential for that one sandbox's
 * process, file and port calls. Made at create and kept as issued (the team
 * reads it back), so it is looked up by its text, not a hash.
 */
export function newSandboxAccessToken(): string {
  return `wra_${randomBytes(secretBytes).toString("base64url")}`;
}

/** "wra_" and 43 base64url characters. */
export const sandboxAccessTokenPattern = /^wra_[A-Za-z0-9_-]{43}$/;

export function newCsrfToken(): string {
  return randomBytes(secretBytes).toString("base64url");
}

/** What the database keeps of a key, session, refresh or invite token: SHA-256 of the whole text. */
export function secretHash(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
