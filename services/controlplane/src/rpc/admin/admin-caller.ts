import { errors } from "@wrenn/shared";
import { isPlatformAdmin, principalOf, type Principal } from "../../identity/principal.js";
import type { CallerContext } from "../caller-context.js";

/**
 * The one refusal every AdminService method (and the admin scope of
 * ListAuditLogs) gives whoever is not a platform admin on a session:
 * NOT_FOUND "not found", as if the method did not exist for them, so an
 * API key or a member learns nothing about what admins can do.
 */
export const notAnAdmin = () => errors.notFound("not found");

export function requirePlatformAdmin(context: CallerContext): Principal {
  const principal = principalOf(context);
  if (!isPlatformAdmin(principal)) throw notAnAdmin();
  return principal;
}
