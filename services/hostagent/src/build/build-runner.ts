import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { toWireId, type Logger } from "@wrenn/shared";
import { createCleanupStack } from "../host/cleanup-stack.js";
import type { TemplateInfo } from "../runtime/runtime.js";
import type { SandboxManager } from "../sandbox/sandbox-manager.js";
import type { BuildArchive, CopyPlan } from "./archive/build-archive.js";
import type { BuildCache } from "./build-cache.js";
import type { BuildRecord } from "./build-record.js";
import type { ValidSpec } from "./build-spec.js";
import { initialVars, isMetadataOnly, varsAfter, type BuildVars } from "./build-vars.js";
import { findCachedPrefix, stepKeys } from "./cached-prefix.js";
import { executeStep } from "./steps/execute-step.js";
import { rootScript } from "./steps/root-script.js";
import { StepError, type StepContext } from "./steps/step-context.js";
import { StepOutput } from "./step-output.js";

export interface BuildJob {
  record: BuildRecord;
  spec: ValidSpec;
  plans: Map<number, CopyPlan>;
  archive?: BuildArchive;
  /** `<data>/builds/<build-id>`: the archive and checkpoints not kept in the cache. */
  workDir: string;
}

export interface RunnerDeps {
  manager: SandboxManager;
  cache: BuildCache;
  logger: Logger;
}

/** A build that failed: the message is BuildEnded.error. */
class BuildFailure extends Error {}

const sandboxStartSeconds = 600;

/**
 * Runs one build to its end and always appends its "ended" event. Steps
 * found in the cache are reported as cached; the rest run in an internal
 * sandbox (from the FROM template, or restored from the last cached
 * checkpoint), each guest-changing step checkpointed into the cache. The
 * last checkpoint becomes the template. Whatever fails or is cancelled, the
 * cleanup stack undoes what was made: the sandbox, a half-made template and
 * the build's directory (kept on agent shutdown, so the next start reports
 * the build interrupted).
 */
export async function runBuild(job: BuildJob, deps: RunnerDeps): Promise<void> {
  const { record, spec } = job;
  const { manager, cache, logger } = deps;
  const signal = record.controller.signal;
  const cleanup = createCleanupStack(logger);
  const releases: Array<() => void> = [];
  const log = logger.child({ buildId: spec.buildId, templateId: spec.templateId });
  record.state = "running";
  try {
    const steps = spec.recipe.steps;
    let from = madeTemplate(manager, spec.fromTemplateId);
    let vars = initialVars();
    let done = 0;
    let checkpointDir: string | undefined;
    let keys: string[] = [];
    if (from !== undefined) {
      keys = stepKeys(steps, job.plans, from, diskOf(spec, from));
      const prefix = await findCachedPrefix(cache, steps, keys, from);
      if (prefix.checkpointKey !== undefined) {
        checkpointDir = cache.dirOf(prefix.checkpointKey);
        releases.push(cache.hold(prefix.checkpointKey));
      }
      for (; done < prefix.hits; done++) {
        const step = steps[done]!;
        record.append({ kind: "stepStarted", step: done + 1, line: step.line, instruction: step.text, cached: true });
        record.append({ kind: "stepFinished", step: done + 1, durationMs: 0, cached: true });
        vars = varsAfter(step, done, vars);
      }
    }

    const guestWorkLeft = steps.slice(done).some((s) => !isMetadataOnly(s));
    if (guestWorkLeft || checkpointDir === undefined) {
      signal.throwIfAborted();
      record.append({ kind: "phase", phase: "sandbox", detail: checkpointDir ? `restoring step ${done}'s checkpoint` : `starting from ${spec.fromTemplateId}` });
      const sandboxId = toWireId("sb", randomUUID());
      const created = await manager.create(
        { sandboxId, templateId: spec.fromTemplateId, envs: {}, startTimeoutSeconds: sandboxStartSeconds, internal: true, fromCheckpoint: checkpointDir },
        signal,
      );
      cleanup.push("destroy the build sandbox", () => manager.destroy(sandboxId));
      if (from === undefined) {
        // A base size made on first use by this create: now it has a createdAt to key on (nothing can be cached yet).
        from = madeTemplate(manager, spec.fromTemplateId);
        if (from === undefined) throw new BuildFailure(`template "${spec.fromTemplateId}" vanished`);
        keys = stepKeys(steps, job.plans, from, diskOf(spec, from));
      }
      const diskMiB = diskOf(spec, from);
      if (diskMiB < from.diskMiB) throw new BuildFailure(`disk_mib ${diskMiB} is smaller than template "${from.id}"'s disk (${from.diskMiB} MiB)`);
      const base = { envd: manager.envd(sandboxId), timeoutMs: spec.stepTimeoutMs, signal, archive: job.archive };
      if (checkpointDir === undefined && diskMiB > created.resources.diskMiB) {
        record.append({ kind: "phase", phase: "disk", detail: `growing the disk to ${diskMiB} MiB` });
        await manager.growDisk(sandboxId, diskMiB);
        await rootScript({ ...base, vars, step: 0, output: new StepOutput(() => {}) }, "growing the filesystem", "resize2fs /dev/vda");
      }
      const lastGuestStep = steps.findLastIndex((s, i) => i >= done && !isMetadataOnly(s));
      for (; done < steps.length; done++) {
        const step = steps[done]!;
        const stepNo = done + 1;
        record.append({ kind: "stepStarted", step: stepNo, line: step.line, instruction: step.text, cached: false });
        const t0 = performance.now();
        const output = new StepOutput((stream, text) => record.append({ kind: "stepOutput", step: stepNo, stream, text }));
        // The connection is looked up per step: a checkpoint may replace it.
        const ctx: StepContext = { ...base, envd: manager.envd(sandboxId), vars, step: stepNo, output, plan: job.plans.get(done) };
        try {
          await executeStep(step, ctx);
        } catch (err) {
          if (err instanceof StepError) {
            record.append({ kind: "stepFailed", step: stepNo, line: step.line, reason: err.reason, outputTail: err.outputTail });
            // The build's error carries the output tail too: it is what a user reads first (Build.error).
            const tail = err.outputTail.trimEnd();
            throw new BuildFailure(`step ${stepNo} (line ${step.line}) failed: ${err.reason}${tail ? `\n${tail}` : ""}`);
          }
          throw err;
        }
        vars = varsAfter(step, done, vars);
        if (!isMetadataOnly(step)) {
          if (done === lastGuestStep) await trim(ctx);
          checkpointDir = await checkpointStep({ manager, cache, job, sandboxId, key: keys[done]!, from, diskMiB, vars, stepNo, signal, releases, cleanup });
        }
        record.append({ kind: "stepFinished", step: stepNo, durationMs: Math.round(performance.now() - t0), cached: false });
      }
      if (checkpointDir === undefined) {
        // Only metadata steps and nothing cached: the FROM template's state itself becomes the template.
        await trim({ ...base, vars, step: 0, output: new StepOutput(() => {}) });
        checkpointDir = join(job.workDir, "checkpoint");
        await manager.checkpoint(sandboxId, checkpointDir, signal);
      }
      record.append({ kind: "phase", phase: "sandbox", detail: "stopping the build sandbox" });
      await manager.destroy(sandboxId);
      cleanup.release();
    }

    signal.throwIfAborted();
    record.append({ kind: "phase", phase: "template", detail: `making template ${spec.templateId}` });
    cleanup.push("remove the half-made template", () => removeTemplate(manager, spec.templateId));
    const template = await manager.templateFromCheckpoint(checkpointDir!, spec.templateId, { user: vars.user, workdir: vars.workdir, envs: vars.envs }, signal);
    signal.throwIfAborted();
    cleanup.release();
    await rm(job.workDir, { recursive: true, force: true });
    log.info({ steps: steps.length }, "build succeeded");
    record.append({ kind: "ended", state: "succeeded", error: "", template: currentInfo(manager, template) });
  } catch (err) {
    const reason: unknown = signal.aborted ? signal.reason : undefined;
    const cancelled = reason === "cancelled";
    const shutdown = reason === "shutdown";
    const message = cancelled ? "cancelled" : shutdown ? "interrupted: the host agent stopped" : err instanceof BuildFailure ? err.message : `build failed: ${errorText(err)}`;
    if (!cancelled && !shutdown && !(err instanceof BuildFailure)) log.error({ err }, "build failed");
    await cleanup.unwind();
    // On shutdown builds/<id> stays as the marker the next start reports as interrupted.
    if (!shutdown) await rm(job.workDir, { recursive: true, force: true }).catch(() => {});
    record.append({ kind: "ended", state: cancelled ? "cancelled" : "failed", error: message });
  } finally {
    for (const release of releases) release();
    await job.archive?.close().catch(() => {});
    await cache.gc().catch((err: unknown) => log.warn({ err }, "build cache GC failed"));
  }
}

interface CheckpointArgs {
  manager: SandboxManager;
  cache: BuildCache;
  job: BuildJob;
  sandboxId: string;
  key: string;
  from: TemplateInfo;
  diskMiB: number;
  vars: BuildVars;
  stepNo: number;
  signal: AbortSignal;
  releases: Array<() => void>;
  cleanup: ReturnType<typeof createCleanupStack>;
}

/**
 * Checkpoints the sandbox after a step into the cache under the step's key;
 * when another build holds that key already, into the build's own directory
 * (it goes with the build). Returns the checkpoint's directory.
 */
async function checkpointStep(a: CheckpointArgs): Promise<string> {
  if (await a.cache.exists(a.key)) {
    const dir = join(a.job.workDir, `checkpoint-${a.stepNo}`);
    await rm(dir, { recursive: true, force: true });
    await a.manager.checkpoint(a.sandboxId, dir, a.signal);
    return dir;
  }
  a.releases.push(a.cache.hold(a.key));
  const dir = a.cache.dirOf(a.key);
  try {
    await a.manager.checkpoint(a.sandboxId, dir, a.signal);
    await a.cache.commit({ key: a.key, templateId: a.from.id, templateCreatedAt: a.from.createdAt.toISOString(), diskMiB: a.diskMiB, vars: a.vars });
  } catch (err) {
    await a.cache.remove(a.key).catch(() => {});
    throw err;
  }
  return dir;
}

/** Free blocks handed back before the final checkpoint: the flattened disk is smaller. Best effort. */
async function trim(ctx: StepContext): Promise<void> {
  await rootScript(ctx, "fstrim", "fstrim / || true").catch(() => {});
}

/**
 * The template as made: a base size not made yet is listed with createdAt 0
 * and no disk size, which must not key the cache (the create makes it).
 */
function madeTemplate(manager: SandboxManager, templateId: string): TemplateInfo | undefined {
  const template = manager.templates().find((t) => t.id === templateId);
  return template !== undefined && template.diskMiB > 0 && template.createdAt.getTime() > 0 ? template : undefined;
}

function diskOf(spec: ValidSpec, from: TemplateInfo): number {
  return spec.diskMiB || from.diskMiB;
}

async function removeTemplate(manager: SandboxManager, templateId: string): Promise<void> {
  if (manager.templates().some((t) => t.id === templateId)) await manager.deleteTemplate(templateId);
}

/** The manager's view of the template (users counted now), else what templateFromCheckpoint returned. */
function currentInfo(manager: SandboxManager, made: TemplateInfo): TemplateInfo {
  return manager.templates().find((t) => t.id === made.id) ?? made;
}

function errorText(err: unknown): string {
  if (typeof err === "object" && err !== null && typeof (err as { details?: unknown }).details === "string") return (err as { details: string }).details;
  return err instanceof Error ? err.message : String(err);
}
