import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Host registration tokens: "wrh_" + 32 random bytes (base64url) + "_" +
 * the CA pin's hex digest. The secret proves the caller may register; the pin
 * lets the agent check, before it trusts the answer, that the CA it is handed
 * is the one the token was made for (kubeadm's discovery hash, in the token).
 */
export interface HostToken {
  secret: string;
  /** "sha256:" + 64 hex digits. */
  caPin: string;
}

const pattern = /^wrh_([A-Za-z0-9_-]{43})_([0-9a-f]{64})$/;

export function formatHostToken(secret: string, caPin: string): string {
  return `wrh_${secret}_${caPin.replace(/^sha256:/, "")}`;
}

export function newHostTokenSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** Parses a token; undefined when it is not one (never throws). */
export function parseHostToken(token: string): HostToken | undefined {
  const match = pattern.exec(token.trim());
  return match ? { secret: match[1], caPin: `sha256:${match[2]}` } : undefined;
}

/** What the controlplane stores: never the secret itself. */
export function hostTokenHash(secret: string): string {
  return createHash("sha256").update(`wrenn-host-token:${secret}`).digest("hex");
}

/** Constant-time comparison of two pins. */
export function pinsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
