import { setTimeout as sleep } from "node:timers/promises";
import type { BackgroundWorker, ExtensionContext, HttpHandlerRoute } from "../../extensions.js";
import { createOidcLoginRepository, createUserIdentityRepository } from "../../db/identity/oidc-repository.js";
import { createSessionRepository } from "../../db/identity/session-repository.js";
import { createUserRepository } from "../../db/identity/user-repository.js";
import type { AuditLog } from "../../identity/audit.js";
import { createSessionCookies } from "../session-cookies.js";
import { createGithubProvider } from "./github-provider-client.js";
import type { LoginProvider } from "./login-provider.js";
import { createOidcProvider } from "./oidc-provider-client.js";
import { createOidcRoutes } from "./oidc-routes.js";

/** How often logins nobody came back from are deleted. */
const sweepEveryMs = 10 * 60_000;

/**
 * Login through OIDC and GitHub-style OAuth: the /auth/oidc routes (always
 * served; a provider not configured is NOT_FOUND) and a worker that deletes
 * abandoned logins. Providers are on only when configured (config.ts).
 */
export function createOidcLogin(context: ExtensionContext, audit: AuditLog): { httpRoutes: HttpHandlerRoute[]; workers: BackgroundWorker[] } {
  const { config, pool, logger } = context;
  const providers: { provider: LoginProvider; redirectUrl?: string }[] = [];
  if (config.oidc) providers.push({ provider: createOidcProvider(config.oidc), redirectUrl: config.oidc.redirectUrl });
  if (config.github) providers.push({ provider: createGithubProvider(config.github), redirectUrl: config.github.redirectUrl });
  if (providers.length > 0) logger.info({ providers: providers.map((entry) => entry.provider.name) }, "external login providers");
  const logins = createOidcLoginRepository(pool);
  const route = createOidcRoutes({
    providers,
    publicUrl: config.publicUrl,
    logins,
    users: createUserRepository(pool),
    identities: createUserIdentityRepository(pool),
    cookies: createSessionCookies(createSessionRepository(pool)),
    audit,
    logger,
  });
  const sweeper: BackgroundWorker = {
    name: "oidc-login-sweeper",
    singleton: true,
    async run(signal) {
      while (!signal.aborted) {
        try {
          await logins.deleteExpired();
        } catch (err) {
          logger.warn({ err: (err as Error).message }, "could not delete expired OIDC logins");
        }
        await sleep(sweepEveryMs, undefined, { signal }).catch(() => undefined);
      }
    },
  };
  return { httpRoutes: [route], workers: [sweeper] };
}
