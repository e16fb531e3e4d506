import type { DeactivateUserRequest, DeactivateUserResponse } from "@wrenn/gen/wrenn/api/v1/admin.js";
import type { AdminStore } from "../../identity/admin-store.js";
import type { CallerContext } from "../caller-context.js";
import { requirePlatformAdmin } from "./admin-caller.js";
import { changedUser, userIdOf } from "./user-id.js";

/**
 * Deactivates a user: their sessions are revoked in the same transaction, and
 * the authentication hook refuses them and the API keys they made from then
 * on. Their sandboxes keep running (their teams' other owners, or the
 * timeout, end them). The last active admin cannot be deactivated.
 */
export function deactivateUserHandler(admins: AdminStore) {
  return async function deactivateUser(request: DeactivateUserRequest, context: CallerContext): Promise<DeactivateUserResponse> {
    requirePlatformAdmin(context);
    const change = await admins.deactivateUser(userIdOf(request.userId));
    return { user: changedUser(change, request.userId, "the platform's last admin cannot be deactivated; grant another admin first") };
  };
}
