import type { ReactivateUserRequest, ReactivateUserResponse } from "@wrenn/gen/wrenn/api/v1/admin.js";
import type { AdminStore } from "../../identity/admin-store.js";
import type { CallerContext } from "../caller-context.js";
import { requirePlatformAdmin } from "./admin-caller.js";
import { changedUser, userIdOf } from "./user-id.js";

/** Lets a deactivated user sign in again (old sessions stay revoked); a deleted user is NOT_FOUND. */
export function reactivateUserHandler(admins: AdminStore) {
  return async function reactivateUser(request: ReactivateUserRequest, context: CallerContext): Promise<ReactivateUserResponse> {
    requirePlatformAdmin(context);
    const change = await admins.reactivateUser(userIdOf(request.userId));
    return { user: changedUser(change, request.userId, "") };
  };
}
