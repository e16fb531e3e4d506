import { toWireId } from "@wrenn/shared";
import type { User } from "@wrenn/gen/wrenn/api/v1/account.js";
import type { UserRecord } from "../../identity/identity-store.js";

/** A user as the API shows it (signup, WhoAmI, the cookie routes' JSON); the password hash never leaves. */
export function userToApi(user: UserRecord): User {
  return {
    userId: toWireId("usr", user.id),
    email: user.email,
    displayName: user.displayName,
    admin: user.isAdmin,
    deactivatedAt: user.deactivatedAt ?? undefined,
    createdAt: user.createdAt,
  };
}
