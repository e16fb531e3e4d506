import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { errors, type Logger } from "@wrenn/shared";
import type { RuntimeCapabilities } from "../runtime/runtime.js";
import type { SandboxManager } from "../sandbox/sandbox-manager.js";
import { ArchiveError, openBuildArchive, type BuildArchive } from "./archive/build-archive.js";
import { storeArchive } from "./archive-upload.js";
import { BuildCache } from "./build-cache.js";
import type { BuildEvent } from "./build-events.js";
import { BuildRecord } from "./build-record.js";
import { BuildRegistry } from "./build-registry.js";
import { runBuild } from "./build-runner.js";
import { validateSpec, type RawSpec } from "./build-spec.js";
import { planCopies } from "./copy-plans.js";
import { recoverInterruptedBuilds, writeBuildMarker } from "./restart-cleanup.js";

export interface StartedBuild {
  archiveSha256: string;
  archiveBytes: number;
  stepsTotal: number;
}

/** The host agent's template builder (BuildService's domain side). */
export interface Builder {
  /** Validates, stores the archive, answers, and runs the build in the background. */
  start(spec: RawSpec, archive: AsyncIterable<Uint8Array>): Promise<StartedBuild>;
  watch(buildId: string, afterSeq: number, signal: AbortSignal): AsyncIterable<BuildEvent>;
  /** Returns once the build has unwound; a build that ended is a no-op. */
  cancel(buildId: string): Promise<void>;
  list(): BuildRecord[];
  /** Called after a template is deleted: cache entries backed by it go too. */
  templateDeleted(templateId: string): Promise<void>;
  /** Agent stop: builds are aborted and unwound; their directories stay for the next start to report. */
  close(): Promise<void>;
}

export interface BuilderOptions {
  manager: SandboxManager;
  capabilities: RuntimeCapabilities;
  runtimeName: string;
  dataDir: string;
  cacheBudgetBytes: number;
  logger: Logger;
}

export async function createBuilder(options: BuilderOptions): Promise<Builder> {
  const { manager, logger } = options;
  const buildsDir = join(options.dataDir, "builds");
  const cache = new BuildCache(join(options.dataDir, "build-cache"), options.cacheBudgetBytes, logger);
  await mkdir(buildsDir, { recursive: true, mode: 0o700 });
  await mkdir(cache.dir, { recursive: true, mode: 0o700 });
  const registry = new BuildRegistry();
  for (const record of await recoverInterruptedBuilds(buildsDir, manager, logger)) registry.add(record);
  await cache.removeIncomplete();

  return {
    async start(raw, chunks) {
      if (!options.capabilities.templates) {
        throw errors.failedPrecondition(`the ${options.runtimeName} runtime cannot make templates: ${options.capabilities.templatesUnavailableReason ?? "it has no memory snapshots"}`);
      }
      const spec = validateSpec(raw, manager.templates());
      const release = registry.reserve(spec.buildId, spec.templateId);
      const workDir = join(buildsDir, spec.buildId);
      let archive: BuildArchive | undefined;
      try {
        await mkdir(workDir, { mode: 0o700 });
        await writeBuildMarker(workDir, spec.buildId, spec.templateId);
        const archivePath = join(workDir, "archive");
        const bytes = await storeArchive(chunks, archivePath);
        if (bytes > 0) {
          archive = await openBuildArchive(archivePath).catch((err: unknown) => {
            throw err instanceof ArchiveError ? errors.invalidArgument(`archive: ${err.message}`) : err;
          });
        }
        const plans = planCopies(spec.recipe, archive);
        const record = new BuildRecord(spec.buildId, spec.templateId);
        registry.add(record);
        record.done = runBuild({ record, spec, plans, archive, workDir }, { manager, cache, logger });
        return { archiveSha256: archive?.sha256 ?? "", archiveBytes: bytes, stepsTotal: spec.recipe.steps.length };
      } catch (err) {
        await archive?.close().catch(() => {});
        await rm(workDir, { recursive: true, force: true });
        throw err;
      } finally {
        release();
      }
    },
    watch: (buildId, afterSeq, signal) => registry.get(buildId).watch(afterSeq, signal),
    async cancel(buildId) {
      const record = registry.get(buildId);
      if (record.ended) return;
      record.controller.abort("cancelled");
      await record.done;
    },
    list: () => registry.list(),
    async templateDeleted(templateId) {
      await cache.purgeTemplate(templateId);
    },
    async close() {
      const running = registry.running();
      for (const record of running) record.controller.abort("shutdown");
      await Promise.all(running.map((r) => r.done));
    },
  };
}
