import { normalizeEmail } from "../../identity/email.js";
import { isActiveUser, type UserRecord, type UserStore } from "../../identity/identity-store.js";
import type { UserIdentityStore } from "../../identity/oidc-store.js";
import { LoginRefused, type ExternalUser } from "./login-provider.js";

export interface SignedIn {
  user: UserRecord;
  /** How the provider's subject found its user this time. */
  how: "known" | "linked" | "created";
}

/**
 * The Wrenn user a provider's user signs in as: the one their (provider,
 * subject) was linked to before; else an existing user with that email (the
 * provider vouched for the address, so it is the same person), now linked;
 * else a new user with their personal team. A deactivated or deleted user is
 * refused, whichever way they were found.
 */
export async function signInExternal(users: UserStore, identities: UserIdentityStore, provider: string, external: ExternalUser): Promise<SignedIn> {
  // One spelling per address, as signup stores it; the users table takes 3 to 254 characters.
  const email = normalizeEmail(external.email);
  if (email.length < 3 || email.length > 254 || !email.includes("@")) throw new LoginRefused(400, "the provider's email address cannot be used here", "bad_email");
  const knownId = await identities.userOf(provider, external.subject);
  if (knownId) return { user: active(await users.get(knownId)), how: "known" };

  const existing = await users.findByEmail(email);
  if (existing) return { user: await linked(active(existing)), how: "linked" };

  const created = await users.createWithPersonalTeam({ email, displayName: external.displayName.slice(0, 200), passwordHash: null });
  if (created) return { user: await linked(created.user), how: "created" };
  // Someone took the email between the lookup and the insert (a second tab finishing the same login).
  return { user: await linked(active(await users.findByEmail(email))), how: "linked" };

  async function linked(user: UserRecord): Promise<UserRecord> {
    const linkedTo = await identities.link(provider, external.subject, user.id);
    return linkedTo === user.id ? user : active(await users.get(linkedTo));
  }
}

function active(user: UserRecord | null): UserRecord {
  if (!user || !isActiveUser(user)) throw new LoginRefused(401, "this account cannot sign in", "user_inactive");
  return user;
}
