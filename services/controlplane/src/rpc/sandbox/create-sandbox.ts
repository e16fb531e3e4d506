import { ExpiryAction, type CreateSandboxRequest, type CreateSandboxResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { egressModeFromWire, errors } from "@wrenn/shared";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { validateCreateSandbox } from "../../lifecycle/validation.js";
import { principalOf, type Principal } from "../../identity/principal.js";
import type { RateLimiter } from "../../limits/create-rate-limiter.js";
import type { CallerContext } from "../caller-context.js";
import { markAccepted, setRetryAfter } from "../http-code.js";
import { sandboxToApi } from "./to-api.js";

export interface CreateRateLimit {
  limiter: RateLimiter;
  perMinute: number;
}

/** Finds the template a create names (templates/template-resolver.ts): NOT_FOUND for another team's, as for an unknown one. */
export type ResolveTemplate = (teamId: string, ref: string) => Promise<{ id: string; hostTemplateId: string }>;

/**
 * Creates a sandbox of the caller's team. Each API key (each user, for
 * browser sessions) may create `perMinute` a minute: beyond that
 * RESOURCE_EXHAUSTED with a `retry-after` trailer (HTTP 429 + Retry-After).
 * The team's concurrent-sandbox quota is checked by the insert itself.
 */
export function createSandboxHandler(lifecycle: SandboxLifecycle, rate: CreateRateLimit, resolveTemplate: ResolveTemplate) {
  return async function createSandbox(request: CreateSandboxRequest, context: CallerContext): Promise<CreateSandboxResponse> {
    const principal = principalOf(context);
    const input = validateCreateSandbox({
      templateId: request.templateId,
      metadata: request.metadata,
      envs: request.envs,
      timeoutSeconds: request.timeoutSeconds,
      onExpiry: expiryFromApi(request.onExpiry),
      egress: request.egress ? { mode: egressModeFromApi(request.egress.mode), allowedCidrs: request.egress.allowedCidrs } : undefined,
      publicPorts: request.publicPorts,
      autoResume: request.autoResume,
    });
    const verdict = await rate.limiter.take(rateSubject(principal));
    if (!verdict.allowed) {
      setRetryAfter(context, verdict.retryAfterSeconds);
      throw errors.resourceExhausted(
        `create rate limit of ${rate.perMinute} per minute reached; retry after ${verdict.retryAfterSeconds} s`,
      );
    }
    const template = await resolveTemplate(principal.teamId, input.templateId);
    input.template = { uuid: template.id, hostTemplateId: template.hostTemplateId };
    const result = await lifecycle.create(principal.teamId, input, { wait: request.waitReady, signal: context.signal });
    if (!result.done) markAccepted(context);
    return { sandbox: sandboxToApi(result.sandbox) };
  };
}

/** Who a create is counted against: the API key, else the session's user, else (never expected) the team. */
function rateSubject(principal: Principal): string {
  if (principal.apiKey) return `key:${principal.apiKey.id}`;
  if (principal.user) return `user:${principal.user.id}`;
  return `team:${principal.teamId}`;
}

function expiryFromApi(value: ExpiryAction) {
  if (value === ExpiryAction.EXPIRY_ACTION_UNSPECIFIED || value === ExpiryAction.EXPIRY_ACTION_KILL) return "kill" as const;
  if (value === ExpiryAction.EXPIRY_ACTION_PAUSE) return "pause" as const;
  return "invalid" as const;
}

/** The public API documents MODE_UNSPECIFIED as MODE_ALLOW_ALL. */
function egressModeFromApi(value: number) {
  const mode = egressModeFromWire(value);
  return mode === "unspecified" ? ("allow-all" as const) : mode;
}
