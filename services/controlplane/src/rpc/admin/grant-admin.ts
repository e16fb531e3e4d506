import type { GrantAdminRequest, GrantAdminResponse } from "@wrenn/gen/wrenn/api/v1/admin.js";
import type { AdminStore } from "../../identity/admin-store.js";
import type { CallerContext } from "../caller-context.js";
import { requirePlatformAdmin } from "./admin-caller.js";
import { changedUser, userIdOf } from "./user-id.js";

/** Makes a user a platform admin (their sessions carry it from their next call). */
export function grantAdminHandler(admins: AdminStore) {
  return async function grantAdmin(request: GrantAdminRequest, context: CallerContext): Promise<GrantAdminResponse> {
    requirePlatformAdmin(context);
    const change = await admins.grantAdmin(userIdOf(request.userId));
    return { user: changedUser(change, request.userId, "") };
  };
}
