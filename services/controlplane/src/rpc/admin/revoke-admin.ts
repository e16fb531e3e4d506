import type { RevokeAdminRequest, RevokeAdminResponse } from "@wrenn/gen/wrenn/api/v1/admin.js";
import type { AdminStore } from "../../identity/admin-store.js";
import type { CallerContext } from "../caller-context.js";
import { requirePlatformAdmin } from "./admin-caller.js";
import { changedUser, userIdOf } from "./user-id.js";

/** Takes the admin flag away; never from the last active admin (FAILED_PRECONDITION), also under concurrent calls. */
export function revokeAdminHandler(admins: AdminStore) {
  return async function revokeAdmin(request: RevokeAdminRequest, context: CallerContext): Promise<RevokeAdminResponse> {
    requirePlatformAdmin(context);
    const change = await admins.revokeAdmin(userIdOf(request.userId));
    return { user: changedUser(change, request.userId, "the platform's last admin cannot be revoked; grant another admin first") };
  };
}
