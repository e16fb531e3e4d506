import type { CallContext } from "nice-grpc";
import { errors } from "@wrenn/shared";
import type { InitRequest, InitResponse } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import { applyHostname } from "../../metadata/hostname.js";
import type { EnvdDeps } from "../deps.js";

const minEntropyBytes = 32;
/** The clone-generation file is renewed this long after Init answers (see below). */
export const cloneNoticeDelayMs = 250;
const maxEntropyBytes = 512;

/**
 * Replaces the sandbox identity (first boot and after each restore), reseeds
 * the guest kernel's RNG with the host's entropy (first, so everything drawn
 * afterwards differs between clones), fixes the clock, and right after its
 * answer renews the clone-generation file.
 */
export function createInitHandler(deps: EnvdDeps) {
  return async (request: InitRequest, _context: CallContext): Promise<InitResponse> => {
    const current = deps.metadata.get();
    const defaultUser = request.defaultUser || current.defaultUser;
    if (!deps.users.snapshot().byName(defaultUser)) {
      throw errors.invalidArgument(`unknown default_user "${defaultUser}": not in /etc/passwd`);
    }
    if (request.defaultWorkdir !== "" && (!request.defaultWorkdir.startsWith("/") || request.defaultWorkdir.includes("\0"))) {
      throw errors.invalidArgument("default_workdir must be an absolute path");
    }
    for (const key of Object.keys(request.envs)) {
      if (!key || key.includes("=") || key.includes("\0")) {
        throw errors.invalidArgument(`invalid environment variable name "${key}"`);
      }
    }
    if (request.accessToken !== undefined && request.accessToken !== "") {
      if (request.accessToken.length < 16) throw errors.invalidArgument("access_token must be at least 16 characters");
    }
    const entropy = request.entropy;
    if (entropy.length > 0 && (entropy.length < minEntropyBytes || entropy.length > maxEntropyBytes)) {
      throw errors.invalidArgument(`entropy must be ${minEntropyBytes} to ${maxEntropyBytes} bytes, got ${entropy.length}`);
    }
    // Everything drawn after Init answers comes from the reseeded kernel; the cost is logged.
    const t0 = performance.now();
    const rng = entropy.length > 0 ? await deps.rng.reseed(entropy) : "none";
    const rngMs = Math.round((performance.now() - t0) * 10) / 10;
    deps.metadata.replace({
      sandboxId: request.sandboxId,
      templateId: request.templateId,
      hostname: request.hostname,
      defaultUser,
      defaultWorkdir: request.defaultWorkdir,
      envs: request.envs,
    });
    // The middleware already checked that a caller replacing the token knows the current one.
    if (request.accessToken) deps.accessToken.set(request.accessToken);
    deps.logger.info(
      { sandboxId: request.sandboxId, templateId: request.templateId, defaultUser, envCount: Object.keys(request.envs).length, tokenSet: deps.accessToken.isSet, rng, rngMs },
      "initialised",
    );
    await applyHostname(request.hostname, deps.logger);
    if (request.nowUnixMs > 0) await deps.clock.correct(request.nowUnixMs);
    // Off the critical path: in a freshly restored VM under TCG these few syscalls took
    // 25-150 ms (each kernel path runs for the first time since the restore) and, run right
    // after the answer, delayed its delivery to the agent by as much. No caller waits for the
    // file. Its id hashes the host's entropy, so it differs in every clone.
    setTimeout(() => deps.cloneNotice.renew(entropy), cloneNoticeDelayMs).unref();
    return { envdVersion: deps.version };
  };
}
