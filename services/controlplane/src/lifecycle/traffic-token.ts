import { randomBytes } from "node:crypto";

/** "wrt_" and base64url of 24 random bytes: a sandbox's traffic token, made once at create. */
export function newTrafficToken(): string {
  return `wrt_${randomBytes(24).toString("base64url")}`;
}
