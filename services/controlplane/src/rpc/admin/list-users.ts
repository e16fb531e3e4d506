import type { ListUsersRequest, ListUsersResponse } from "@wrenn/gen/wrenn/api/v1/admin.js";
import type { AdminStore } from "../../identity/admin-store.js";
import { userToApi } from "../account/user-to-api.js";
import type { CallerContext } from "../caller-context.js";
import { requirePlatformAdmin } from "./admin-caller.js";
import { decodeCursor, encodeCursor, pageSizeOf } from "./page-token.js";

/** Every user not deleted (deactivated ones too), oldest first, a page at a time. */
export function listUsersHandler(admins: AdminStore) {
  return async function listUsers(request: ListUsersRequest, context: CallerContext): Promise<ListUsersResponse> {
    requirePlatformAdmin(context);
    const page = await admins.listUsers(decodeCursor(request.pageToken), pageSizeOf(request.pageSize));
    return { users: page.items.map(userToApi), nextPageToken: encodeCursor(page.next) };
  };
}
