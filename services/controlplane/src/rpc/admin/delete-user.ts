import { errors } from "@wrenn/shared";
import type { DeleteUserRequest, DeleteUserResponse } from "@wrenn/gen/wrenn/api/v1/admin.js";
import { purgeGraceMs, type AdminStore } from "../../identity/admin-store.js";
import type { CallerContext } from "../caller-context.js";
import { requirePlatformAdmin } from "./admin-caller.js";
import { changedUser, userIdOf } from "./user-id.js";

/**
 * Soft-deletes a user: deactivated at once (sessions and the keys they made
 * revoked), purged with their audit entries anonymized after the grace
 * period. Deleting again answers the same purge time.
 */
export function deleteUserHandler(admins: AdminStore) {
  return async function deleteUser(request: DeleteUserRequest, context: CallerContext): Promise<DeleteUserResponse> {
    requirePlatformAdmin(context);
    const change = await admins.deleteUser(userIdOf(request.userId));
    changedUser(change, request.userId, "the platform's last admin cannot be deleted; grant another admin first");
    const deletedAt = change.outcome === "changed" ? change.user.deletedAt : null;
    if (!deletedAt) throw errors.internal("deleted user has no deletion time");
    return { purgeAfter: new Date(deletedAt.getTime() + purgeGraceMs) };
  };
}
