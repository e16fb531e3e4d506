import type { ServerMiddleware } from "nice-grpc";
import { AccountServiceDefinition } from "@wrenn/gen/wrenn/api/v1/account.js";
import { ApiKeyServiceDefinition } from "@wrenn/gen/wrenn/api/v1/api_key.js";
import { grpcService, type ExtensionContext, type ExtensionParts, type RequestAttributes } from "./extensions.js";
import { createAuthHook } from "./auth/auth-hook.js";
import { createOidcLogin } from "./auth/oidc/oidc-login.js";
import { bootstrapAdmin } from "./auth/bootstrap.js";
import { csrfSafeMethods } from "./auth/safe-methods.js";
import { createApiKeyRepository } from "./db/identity/api-key-repository.js";
import { createTeamBasics } from "./db/identity/personal-team.js";
import { createSessionRepository } from "./db/identity/session-repository.js";
import { createUserRepository } from "./db/identity/user-repository.js";
import { createAccountService } from "./rpc/account/account-service.js";
import { createApiKeyService } from "./rpc/api-key/api-key-service.js";
import { AdminServiceDefinition } from "@wrenn/gen/wrenn/api/v1/admin.js";
import { AuditServiceDefinition } from "@wrenn/gen/wrenn/api/v1/audit.js";
import { createAdminRepository } from "./db/identity/admin-repository.js";
import { createAuditRepository } from "./db/identity/audit-repository.js";
import { createSandboxRepository } from "./db/sandbox-repository.js";
import { createAuditLog } from "./identity/audit.js";
import { createLoginRoutes } from "./auth/login-routes.js";
import { createSessionCookies } from "./auth/session-cookies.js";
import { createTeamRepository } from "./db/identity/team-repository.js";
import { TeamServiceDefinition } from "@wrenn/gen/wrenn/api/v1/team.js";
import { createTeamService } from "./rpc/team/team-service.js";
import { userPurgeWorker } from "./identity/user-purge.js";
import { createVisibility } from "./lifecycle/visibility.js";
import { createAdminService } from "./rpc/admin/admin-service.js";
import { auditMiddleware } from "./rpc/audit/audit-middleware.js";
import { createAuditService } from "./rpc/audit/audit-service.js";

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
  // The audit log for what is not an RPC (cookie logins, OIDC): `audit.record(...)`; RPCs are recorded by the audit middleware.
  const auditStore = createAuditRepository(context.pool);
  const audit = createAuditLog(auditStore, context.logger.child({ component: "audit" }));
  const admins = createAdminRepository(context.pool);
  // Platform admins list every team's sandboxes through the same visibility rule as everyone else.
  const sandboxStore = createSandboxRepository(context.pool);
  const visibility = createVisibility(context.config.stoppedRetentionSeconds);
  const anyTeamsSandboxes = (teamId: string | null) => sandboxStore.listVisible(visibility.stoppedSince(), teamId ? { teamId } : {});
  const users = createUserRepository(context.pool);
  const teams = createTeamBasics(context.pool);
  const apiKeys = createApiKeyRepository(context.pool);
  const sessions = createSessionRepository(context.pool);
  // Browser login: the cookie routes under /auth/ (and OIDC's callback) start sessions through these.
  const sessionCookies = createSessionCookies(sessions);
  // The first start on an empty database makes an admin and a key file (auth/bootstrap.ts).
  await bootstrapAdmin(context.pool, context.config, context.logger);
  const oidc = createOidcLogin(context, audit);
  const authHook = createAuthHook({ apiKeys, sessions, teams, sandboxTokens: sandboxStore, csrfSafe: csrfSafeMethods(), logger: context.logger.child({ component: "auth" }) });
  return {
    grpcServices: [
      grpcService(AdminServiceDefinition, createAdminService(admins, anyTeamsSandboxes, context.enrollment)),
      grpcService(AuditServiceDefinition, createAuditService(auditStore, teams)),
      grpcService(AccountServiceDefinition, createAccountService(users, teams)),
      grpcService(ApiKeyServiceDefinition, createApiKeyService(apiKeys, teams)),
      grpcService(TeamServiceDefinition, createTeamService(createTeamRepository(context.pool))),
    ],
    httpRoutes: [...oidc.httpRoutes, ...createLoginRoutes({ users, sessions, cookies: sessionCookies, audit, logger: context.logger.child({ component: "login" }) })],
    workers: [userPurgeWorker({ admins, audit, logger: context.logger.child({ worker: "user-purge" }) }), ...oidc.workers],
    requestHooks: [authHook],
    middleware: [auditMiddleware({ audit, teams, logger: context.logger.child({ component: "audit" }) })],
  };
}
