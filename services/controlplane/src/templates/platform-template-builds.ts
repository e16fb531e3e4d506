import { hasGrpcStatus, type Logger } from "@wrenn/shared";
import { Status } from "nice-grpc-common";
import type { BuildOperations } from "./build-operations.js";
import { e2bTemplate } from "./e2b-template.js";
import type { TemplateStore } from "./template-store.js";

export interface PlatformTemplateBuildsOptions {
  templates: TemplateStore;
  builds: BuildOperations;
  logger: Logger;
  /** How often to look again (a failed build, a host that could not take it, a template deleted). */
  checkEveryMs?: number;
  /** A failed or cancelled build is tried again only this long after it ended. */
  retryAfterSeconds?: number;
}

export interface PlatformTemplateBuilds {
  /** Looks now (a host came online): starts the build if the template is missing and a host can build it. */
  check(): void;
  /** Stops looking and waits for a look under way. */
  close(): Promise<void>;
}

const defaultCheckEveryMs = 5 * 60_000;
const defaultRetryAfterSeconds = 10 * 60;
/** A step of this recipe runs a few version commands; a stuck one must not hold the build forever. */
const stepTimeoutSeconds = 300;

/**
 * Makes the platform's built templates (today the E2B template) exist
 * without anyone asking: when a host comes online and every few minutes,
 * if the template is not ready and no build of it is active (or failed
 * recently), it starts a platform-owned build (no team) on a host that can
 * build. The store decides under a lock, so two controlplane copies start
 * one build. Nothing here throws: a failure is logged and tried again later.
 */
export function createPlatformTemplateBuilds(options: PlatformTemplateBuildsOptions): PlatformTemplateBuilds {
  const { templates, builds, logger } = options;
  const retryAfterSeconds = options.retryAfterSeconds ?? defaultRetryAfterSeconds;
  const abort = new AbortController();
  const label = `${e2bTemplate.name}:${e2bTemplate.tag}`;
  let checking: Promise<void> | undefined;
  let again = false;

  async function ensure(): Promise<void> {
    if (await templates.findByName(null, e2bTemplate.name, e2bTemplate.tag)) return;
    try {
      const build = await builds.createPlatformOwned(
        { name: label, recipe: e2bTemplate.recipe, vcpus: 0, memoryMib: 0, diskMib: 0, stepTimeoutSeconds },
        retryAfterSeconds,
        abort.signal,
      );
      if (build) logger.info({ buildId: build.id, template: label }, "building a platform template");
    } catch (err) {
      // No host that can build (the namespace runtime) is the normal case there: E2B's "base" starts the base template.
      if (hasGrpcStatus(err) && (err.code === Status.FAILED_PRECONDITION || err.code === Status.UNAVAILABLE)) {
        logger.debug({ template: label, reason: err.details }, "platform template not built: no host can build it now");
      } else throw err;
    }
  }

  function check(): void {
    if (abort.signal.aborted) return;
    if (checking) {
      again = true;
      return;
    }
    checking = ensure()
      .catch((err: unknown) => {
        if (!abort.signal.aborted) logger.warn({ template: label, err: (err as Error).message }, "starting a platform template build failed; trying again later");
      })
      .finally(() => {
        checking = undefined;
        if (again) {
          again = false;
          check();
        }
      });
  }

  const timer = setInterval(check, options.checkEveryMs ?? defaultCheckEveryMs);
  timer.unref();
  return {
    check,
    async close() {
      clearInterval(timer);
      abort.abort();
      await checking;
    },
  };
}
