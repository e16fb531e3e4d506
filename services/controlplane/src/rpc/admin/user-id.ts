import { errors, fromWireId } from "@wrenn/shared";
import type { User } from "@wrenn/gen/wrenn/api/v1/account.js";
import type { AdminChange } from "../../identity/admin-store.js";
import { userToApi } from "../account/user-to-api.js";

/** The user a request names ("usr-…"); malformed is INVALID_ARGUMENT. */
export function userIdOf(wire: string): string {
  return fromWireId("usr", wire, "user_id");
}

/** A change's user as the API shows it, or the status of its refusal. */
export function changedUser(change: AdminChange, wire: string, lastAdmin: string): User {
  if (change.outcome === "changed") return userToApi(change.user);
  if (change.outcome === "last_admin") throw errors.failedPrecondition(lastAdmin);
  throw errors.notFound(`user ${wire} not found`);
}
