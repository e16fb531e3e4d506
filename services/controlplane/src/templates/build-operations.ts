import { errors, newUuid, quoteForMessage, RecipeError, parseRecipe, toWireId, type Logger } from "@wrenn/shared";
import { activeBuildStatuses, type BuildEvent, type BuildRecord, type BuildStore, type NewBuild } from "./build.js";
import type { BuildFollower } from "./build-follower.js";
import { buildSizes } from "./build-sizes.js";
import type { BuildWatch } from "./build-watch.js";
import { resolveTemplate } from "./template-resolver.js";
import { parseTemplateName } from "./template-ref.js";
import type { TemplateHosts } from "./template-host.js";
import type { TemplateStore } from "./template-store.js";

/** Who asks, as the operations need it. */
export interface BuildCaller {
  teamId: string;
  platformAdmin: boolean;
}

export interface BuildSpecInput {
  name: string;
  recipe: string;
  vcpus: number;
  memoryMib: number;
  diskMib: number;
  platform: boolean;
  stepTimeoutSeconds: number;
}

export interface BuildOperations {
  /** Validates, queues the build on a host that can build, sends it the archive, and follows it. */
  create(caller: BuildCaller, spec: BuildSpecInput, archive: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<BuildRecord>;
  /**
   * A platform-owned build (no team; every team may use what it makes) with
   * no archive, unless the store declines it (see BuildStore.insertPlatformQueued): then null.
   */
  createPlatformOwned(spec: Omit<BuildSpecInput, "platform">, retryAfterSeconds: number, signal: AbortSignal): Promise<BuildRecord | null>;
  get(teamId: string, id: string): Promise<BuildRecord>;
  list(teamId: string): Promise<BuildRecord[]>;
  /** Asks the host to stop it; waits (a while) for the build to end. FAILED_PRECONDITION once it ended. */
  cancel(teamId: string, id: string, signal: AbortSignal): Promise<BuildRecord>;
  /** Stored events after `afterSeq`, then new ones, ending after the `ended` event. */
  watch(teamId: string, id: string, afterSeq: number, signal: AbortSignal): AsyncIterable<BuildEvent>;
}

export const recipeLimitBytes = 64 * 1024;
const maxStepTimeoutSeconds = 24 * 3600;
const listLimit = 100;
/** How often a watcher looks at the database without news (news from another copy). */
const pollMs = 1_000;

export function createBuildOperations(deps: {
  builds: BuildStore;
  templates: TemplateStore;
  hosts: TemplateHosts;
  follower: BuildFollower;
  watch: BuildWatch;
  logger: Logger;
}): BuildOperations {
  const { builds, templates, hosts, follower, watch, logger } = deps;

  /** Another team's build, or none, is one answer. */
  async function owned(teamId: string, id: string): Promise<BuildRecord> {
    const build = await builds.get(id);
    if (!build || build.teamId !== teamId) throw errors.notFound("build not found");
    return build;
  }

  /** Validates, queues (null when `insert` declines), sends the spec and archive to a build host, and follows the build. */
  async function start(
    owner: { teamId: string | null; platform: boolean },
    spec: BuildSpecInput,
    archive: AsyncIterable<Uint8Array>,
    signal: AbortSignal,
    insert: (build: NewBuild) => Promise<BuildRecord | null>,
  ): Promise<BuildRecord | null> {
    const { name, tag } = parseTemplateName(spec.name, "name");
    if (Buffer.byteLength(spec.recipe) > recipeLimitBytes) throw errors.invalidArgument(`recipe must be at most ${recipeLimitBytes} bytes`);
    if (spec.recipe.includes("\u0000")) throw errors.invalidArgument("recipe must not contain NUL");
    if (spec.stepTimeoutSeconds > maxStepTimeoutSeconds) {
      throw errors.invalidArgument(`step_timeout_seconds must be at most ${maxStepTimeoutSeconds}, got ${spec.stepTimeoutSeconds}`);
    }
    let recipe;
    try {
      recipe = parseRecipe(spec.recipe);
    } catch (err) {
      if (err instanceof RecipeError) throw errors.invalidArgument(err.message);
      throw err;
    }
    const fromRef = recipe.from?.template ?? "base:latest";
    const from = await resolveTemplate(templates, owner.teamId, fromRef).catch(() => {
      // NOT_FOUND like every other reference to a template the caller cannot see; the line says where.
      throw errors.notFound(`line ${recipe.from?.line ?? 1}: FROM template ${quoteForMessage(fromRef)} not found`);
    });
    const sizes = buildSizes(from, spec);
    const { hostId, host } = await hosts.pickBuildHost();

    const id = newUuid();
    const hostTemplateId = toWireId("tpl", newUuid());
    const queued = await insert({
      id,
      teamId: owner.teamId,
      platform: owner.platform,
      name,
      tag,
      recipe: spec.recipe,
      fromTemplate: from.id,
      resources: sizes.resources,
      hostId,
      hostTemplateId,
    });
    if (!queued) return null;
    let started;
    try {
      started = await host.startBuild(
        {
          buildId: toWireId("bld", id),
          templateId: hostTemplateId,
          fromTemplateId: sizes.fromHostTemplateId,
          recipe: spec.recipe,
          diskMib: sizes.resources.diskMib === from.resources.diskMib ? 0 : sizes.resources.diskMib,
          stepTimeoutSeconds: spec.stepTimeoutSeconds,
        },
        archive,
        signal,
      );
    } catch (err) {
      // The host took nothing (it refused the spec or the archive, or the upload broke): no build remains.
      await builds.delete(id).catch((e: unknown) => logger.warn({ err: (e as Error).message, buildId: id }, "removing a refused build failed"));
      throw err;
    }
    const running = (await builds.markRunning(id, started)) ?? (await builds.get(id)) ?? queued;
    logger.info({ buildId: id, hostId, name: `${name}:${tag}`, steps: started.stepsTotal }, "build started");
    follower.follow(running);
    return running;
  }

  return {
    async create(caller, spec, archive, signal) {
      if (spec.platform && !caller.platformAdmin) throw errors.permissionDenied("only platform admins (on a browser session) can make platform templates");
      const build = await start({ teamId: caller.teamId, platform: spec.platform }, spec, archive, signal, (b) => builds.insertQueued(b));
      return build!;
    },

    createPlatformOwned: (spec, retryAfterSeconds, signal) =>
      start({ teamId: null, platform: true }, { ...spec, platform: true }, noArchive(), signal, (b) => builds.insertPlatformQueued(b, retryAfterSeconds)),

    get: owned,

    list: (teamId) => builds.listForTeam(teamId, listLimit),

    async cancel(teamId, id, signal) {
      const build = await owned(teamId, id);
      if (!activeBuildStatuses.includes(build.status)) throw errors.failedPrecondition(`build already ended (${build.status})`);
      const answer = build.hostId ? await (await hosts.hostFor(build.hostId)).cancelBuild(toWireId("bld", id)) : "not-found";
      if (answer === "not-found") {
        await builds.finish(id, { status: "cancelled", error: "cancelled" });
        watch.notify(id);
      }
      // The host's ended event reaches the follower shortly; wait for it a while.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const current = await owned(teamId, id);
        if (!activeBuildStatuses.includes(current.status) || Date.now() > deadline || signal.aborted) return current;
        await watch.next(id, 500, signal);
      }
    },

    async *watch(teamId, id, afterSeq, signal) {
      await owned(teamId, id);
      // A seq is a bigint in the database; anything beyond what a build can reach means "nothing yet".
      let last = Math.min(afterSeq, Number.MAX_SAFE_INTEGER);
      while (!signal.aborted) {
        const events = await builds.events(id, last, 500);
        for (const event of events) {
          yield event;
          last = event.seq;
          if ("ended" in event.body) return;
        }
        if (events.length > 0) continue;
        const build = await builds.get(id);
        // Ended with no ended event after `last` (the caller asked from after it): nothing more will come.
        if (!build || (!activeBuildStatuses.includes(build.status) && build.lastSeq <= last)) return;
        await watch.next(id, pollMs, signal);
      }
    },
  };
}

async function* noArchive(): AsyncIterable<Uint8Array> {}
