import type { AdminServiceImplementation } from "@wrenn/gen/wrenn/api/v1/admin.js";
import type { AdminStore } from "../../identity/admin-store.js";
import type { RequestAttributes } from "../../request-attributes.js";
import { deactivateUserHandler } from "./deactivate-user.js";
import { deleteUserHandler } from "./delete-user.js";
import { grantAdminHandler } from "./grant-admin.js";
import { listAllSandboxesHandler, type ListSandboxesOfAnyTeam } from "./list-all-sandboxes.js";
import { listAllTeamsHandler } from "./list-all-teams.js";
import { listHostsHandler } from "./list-hosts.js";
import { createHostTokenHandler, revokeHostHandler } from "./host-tokens.js";
import type { HostEnrollment } from "../../hosts/enrollment/host-enrollment.js";
import { listUsersHandler } from "./list-users.js";
import { reactivateUserHandler } from "./reactivate-user.js";
import { revokeAdminHandler } from "./revoke-admin.js";

/** Platform administration; every method is NOT_FOUND "not found" for anyone but a platform admin on a session. */
export function createAdminService(
  admins: AdminStore,
  listSandboxes: ListSandboxesOfAnyTeam,
  enrollment: HostEnrollment,
): AdminServiceImplementation<{ attributes: RequestAttributes }> {
  return {
    grantAdmin: grantAdminHandler(admins),
    revokeAdmin: revokeAdminHandler(admins),
    listUsers: listUsersHandler(admins),
    listAllTeams: listAllTeamsHandler(admins),
    listHosts: listHostsHandler(admins),
    createHostToken: createHostTokenHandler(enrollment),
    revokeHost: revokeHostHandler(enrollment, admins),
    listAllSandboxes: listAllSandboxesHandler(listSandboxes),
    deactivateUser: deactivateUserHandler(admins),
    reactivateUser: reactivateUserHandler(admins),
    deleteUser: deleteUserHandler(admins),
  };
}
