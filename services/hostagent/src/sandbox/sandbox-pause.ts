import { errors } from "@wrenn/shared";
import { envdHandshake, stepTimeoutMs } from "./envd-handshake.js";
import type { SandboxContext } from "./sandbox-context.js";
import type { Entry } from "./sandbox-entry.js";

/** A resume is never tied to its caller: a cancelled caller must not leave a half-restored VM. */
const resumeTimeoutMs = 120_000;

/**
 * Pauses a running sandbox (under its lock). A snapshotting runtime gets a
 * quiet envd first (PrepareSnapshot, connection closed); when the pause
 * fails, what the runtime still has decides: a sandbox still running is
 * handed its envd back, a lost one is removed.
 */
export async function pauseLocked(ctx: SandboxContext, entry: Entry): Promise<void> {
  const { runtime } = ctx;
  const { sandboxId } = entry.info;
  if (entry.info.state === "paused") throw errors.failedPrecondition(`sandbox ${sandboxId} is already paused`);
  const caps = runtime.capabilities;
  if (caps.pause === "none") throw errors.failedPrecondition(caps.pauseUnavailableReason ?? "this runtime cannot pause sandboxes");
  // Tunnels into a frozen or snapshotted guest would hang (or be stale after the restore): cut them now.
  entry.pausing = true;
  ctx.unreachable(sandboxId);
  try {
    await pauseSteps(ctx, entry);
  } finally {
    entry.pausing = false;
  }
}

async function pauseSteps(ctx: SandboxContext, entry: Entry): Promise<void> {
  const { runtime, logger } = ctx;
  const { sandboxId } = entry.info;
  const caps = runtime.capabilities;
  if (caps.pause === "snapshot") {
    // envd stops its pollers and closes idle connections, so the snapshot catches it quiet.
    try {
      await entry.connection?.prepareSnapshot(AbortSignal.timeout(stepTimeoutMs.prepare));
    } catch (err) {
      // Nothing was paused: undo a partial quiesce so the sandbox keeps working.
      await entry.connection?.afterRestore(AbortSignal.timeout(stepTimeoutMs.afterRestore)).catch(() => {});
      logger.error({ err, sandboxId }, "envd did not prepare for the snapshot; pause refused");
      throw errors.unavailable(`sandbox ${sandboxId} could not be prepared for a pause; it keeps running, retry later`);
    }
    // Our side closes too, so the FIN reaches the guest before it stops.
    entry.connection?.close();
    entry.connection = undefined;
  }
  try {
    await runtime.pause(sandboxId);
  } catch (err) {
    // Ask the runtime what really exists before choosing the state.
    if (runtime.list().some((h) => h.sandboxId === sandboxId)) {
      if (caps.pause === "snapshot" && entry.envdTarget) {
        const handshake = { presentToken: entry.token, afterRestore: true, signal: AbortSignal.timeout(resumeTimeoutMs) };
        await envdHandshake(entry, entry.envdTarget, handshake, logger).catch(() => {});
      }
      logger.error({ err, sandboxId }, "pause failed; the sandbox keeps running");
      throw errors.internal(`pause of sandbox ${sandboxId} failed; it is still running`);
    }
    ctx.forget(sandboxId);
    await runtime.destroy(sandboxId).catch(() => {});
    logger.error({ err, sandboxId }, "pause failed and the sandbox is gone");
    throw errors.internal(`pause of sandbox ${sandboxId} failed and the sandbox was lost`);
  }
  entry.info.state = "paused";
  entry.info.expiresAt = undefined;
  ctx.cpuSamples.delete(sandboxId);
  await ctx.save(entry);
}

/** Resumes a paused sandbox (under its lock); one that fails to resume is destroyed and reported. */
export async function resumeLocked(ctx: SandboxContext, entry: Entry, ttlSeconds?: number): Promise<void> {
  const { runtime, logger } = ctx;
  const { sandboxId } = entry.info;
  if (entry.info.state !== "paused") throw errors.failedPrecondition(`sandbox ${sandboxId} is not paused`);
  const signal = AbortSignal.timeout(resumeTimeoutMs);
  try {
    const handle = await runtime.resume(sandboxId, signal);
    entry.ports = handle.ports;
    if (runtime.capabilities.pause === "snapshot") await envdHandshake(entry, handle.envdTarget, { presentToken: entry.token, afterRestore: true, signal }, logger);
  } catch (err) {
    // A failed resume must not leave a frozen VM that claims to run: destroy it and say so.
    ctx.forget(sandboxId);
    await runtime.destroy(sandboxId).catch(() => {});
    logger.error({ err, sandboxId }, "resume failed; sandbox destroyed");
    ctx.events.publish("resume-failed", sandboxId, "resume failed; the sandbox was destroyed");
    throw errors.internal(`resume of sandbox ${sandboxId} failed; the sandbox was destroyed`);
  }
  entry.info.state = "running";
  if (ttlSeconds) entry.ttlSeconds = ttlSeconds;
  ctx.armTtl(entry);
  await ctx.save(entry);
}
