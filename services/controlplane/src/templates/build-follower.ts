import { fromWireId, hasGrpcStatus, toWireId, type Logger } from "@wrenn/shared";
import { Status } from "nice-grpc-common";
import type { BuildRecord, BuildStore, HostBuildEvent, HostTemplateInfo } from "./build.js";
import { activeBuildStatuses } from "./build.js";
import { templateLabel, type NewTemplate } from "./template.js";
import type { TemplateStore } from "./template-store.js";
import type { TemplateHosts } from "./template-host.js";

export interface BuildFollowerOptions {
  builds: BuildStore;
  templates: TemplateStore;
  hosts: TemplateHosts;
  logger: Logger;
  /** Called after each stored event and at the end (WatchBuild callers wake up). */
  notify(buildId: string): void;
  /** Wait before following again after a broken stream. */
  retryMs?: number;
}

export interface BuildFollower {
  /** Follows the build in the background until it ends (once per build in this process). */
  follow(build: BuildRecord): void;
  /** Follows every build still queued or running (at start: the controlplane may have restarted under them). */
  resumeAll(): Promise<void>;
  close(): Promise<void>;
}

export const interruptedError = "interrupted: the host agent restarted";

/**
 * Copies a build's events from its host into the database, resuming after
 * the last stored seq, and ends the build when the host's last event comes:
 * on success the template row is inserted with the build's end, in one
 * transaction. A host that no longer knows the build (it restarted) ends it
 * FAILED "interrupted". Nothing lives only in this process: a restarted
 * controlplane resumes every active build from the database.
 */
export function createBuildFollower(options: BuildFollowerOptions): BuildFollower {
  const { builds, templates, hosts, logger, notify } = options;
  const retryMs = options.retryMs ?? 1_000;
  const abort = new AbortController();
  const running = new Map<string, Promise<void>>();

  async function store(build: BuildRecord, event: HostBuildEvent): Promise<boolean> {
    if (!("ended" in event.body)) {
      await builds.appendEvent(build.id, { seq: event.seq, at: event.at, body: event.body });
      notify(build.id);
      return false;
    }
    const ended = event.body.ended;
    let outcome: Parameters<BuildStore["finish"]>[1] = { status: ended.status, error: ended.error, seq: event.seq, at: event.at };
    if (ended.status === "succeeded") {
      const parent = build.fromTemplate ? await templates.get(build.fromTemplate) : null;
      const template = templateOf(build, ended.template, parent ? templateLabel(parent) : "");
      outcome = template ? { ...outcome, template } : { ...outcome, status: "failed", error: "the host agent reported no template" };
    }
    await builds.finish(build.id, outcome);
    notify(build.id);
    return true;
  }

  async function run(initial: BuildRecord): Promise<void> {
    const log = logger.child({ buildId: initial.id, hostId: initial.hostId });
    while (!abort.signal.aborted) {
      const build = await builds.get(initial.id);
      if (!build || !activeBuildStatuses.includes(build.status)) return;
      try {
        if (!build.hostId) throw Object.assign(new Error("no host"), { code: Status.NOT_FOUND });
        const host = await hosts.hostFor(build.hostId);
        for await (const event of host.watchBuild(toWireId("bld", build.id), build.lastSeq, abort.signal)) {
          if (await store(build, event)) return;
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        if (hasGrpcStatus(err) && err.code === Status.NOT_FOUND) {
          log.warn("the host does not know the build; ending it as interrupted");
          await builds.finish(build.id, { status: "failed", error: interruptedError });
          notify(build.id);
          return;
        }
        log.warn({ err: (err as Error).message }, "following the build failed; trying again");
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs).unref());
    }
  }

  return {
    follow(build) {
      if (running.has(build.id) || abort.signal.aborted) return;
      const task = run(build)
        .catch((err: unknown) => logger.error({ err, buildId: build.id }, "build follower failed"))
        .finally(() => running.delete(build.id));
      running.set(build.id, task);
    },

    async resumeAll() {
      for (const build of await builds.listActive()) this.follow(build);
    },

    async close() {
      abort.abort();
      await Promise.allSettled([...running.values()]);
    },
  };
}

/** The template row a succeeded build becomes: the id it was built under, owned as the build is. */
function templateOf(build: BuildRecord, made: HostTemplateInfo | undefined, parent: string): NewTemplate | undefined {
  if (!made) return undefined;
  return {
    id: fromWireId("tpl", build.hostTemplateId),
    teamId: build.platform ? null : build.teamId,
    name: build.name,
    tag: build.tag,
    hostTemplateId: build.hostTemplateId,
    hostId: build.hostId,
    resources: { vcpus: made.vcpus, memoryMib: made.memoryMib, diskMib: made.diskMib },
    defaultUser: made.defaultUser,
    defaultWorkdir: made.defaultWorkdir,
    envs: made.envs,
    parent,
    buildId: build.id,
    sourceSandboxId: null,
    diskBytes: made.diskBytes,
  };
}
