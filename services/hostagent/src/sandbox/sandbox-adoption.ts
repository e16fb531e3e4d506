import type { RecoveredSandboxes, SandboxHandle } from "../runtime/runtime.js";
import { createEnvdConnection } from "../envd/envd-connection.js";
import { stepTimeoutMs } from "./envd-handshake.js";
import type { SandboxContext } from "./sandbox-context.js";
import type { Entry } from "./sandbox-entry.js";
import { readSandboxRecord } from "./sandbox-record.js";

/**
 * Once at start, with what the runtime recovered: each live sandbox gets its
 * entry back from sandbox.json (token, env, TTL, egress) and its envd is
 * health-checked over a fresh connection; a sandbox without a usable record
 * (its create was cut short) or whose envd stays silent is destroyed. Every
 * sandbox that did not make it is published as LOST.
 */
export async function adoptSandboxes(recovered: RecoveredSandboxes, ctx: SandboxContext): Promise<{ adopted: string[]; lost: string[] }> {
  const adopted: string[] = [];
  const lost = [...recovered.lost];
  await Promise.all(
    recovered.adopted.map(async ({ handle, paused, interruptedPause }) => {
      const outcome = await adoptOne(handle, paused, interruptedPause ?? false, ctx);
      if (outcome === "adopted") adopted.push(handle.sandboxId);
      else if (outcome === "lost") lost.push(handle.sandboxId);
    }),
  );
  for (const sandboxId of lost) ctx.events.publish("lost", sandboxId, "the sandbox did not survive the host agent's restart; what it left was removed");
  return { adopted, lost };
}

/** "internal": the agent's own sandbox (a build's), destroyed and reported to nobody: its owner did not survive the restart either. */
async function adoptOne(handle: SandboxHandle, paused: boolean, interruptedPause: boolean, ctx: SandboxContext): Promise<"adopted" | "lost" | "internal"> {
  const { sandboxId } = handle;
  const { logger, runtime } = ctx;
  const { sandboxesDir } = ctx.options;
  const record = sandboxesDir ? await readSandboxRecord(sandboxesDir, sandboxId) : undefined;
  if (record?.internal) {
    logger.info({ sandboxId }, "internal sandbox of the previous run; removing it");
    await runtime.destroy(sandboxId).catch((err: unknown) => logger.error({ err, sandboxId }, "could not remove an internal sandbox"));
    return "internal";
  }
  if (record) {
    const entry: Entry = {
      info: {
        sandboxId,
        templateId: record.templateId,
        startedAt: new Date(record.startedAt),
        state: paused ? "paused" : "running",
        expiresAt: !paused && record.expiresAt ? new Date(record.expiresAt) : undefined,
        onExpiry: record.onExpiry,
        resources: handle.resources,
      },
      envs: record.envs,
      user: record.user,
      workdir: record.workdir,
      token: record.token,
      ttlSeconds: record.ttlSeconds,
      envdTarget: handle.envdTarget,
      ports: handle.ports,
      egress: record.egress,
      creating: true,
    };
    ctx.entries.set(sandboxId, entry);
    try {
      // Frozen in place: its envd is there, and answers once thawed (a resume does no handshake then).
      if (paused && runtime.capabilities.pause === "freeze") entry.connection = createEnvdConnection(handle.envdTarget, record.token);
      if (!paused) {
        entry.connection = createEnvdConnection(handle.envdTarget, record.token);
        await entry.connection.waitUntilServing(AbortSignal.timeout(stepTimeoutMs.adoptHealth));
        // envd was told to prepare for a snapshot that never finished: let it run its pollers again.
        if (interruptedPause) await entry.connection.afterRestore(AbortSignal.timeout(stepTimeoutMs.adoptHealth));
        // The runtime found it running although it was recorded paused (a pause cut short): its TTL runs again.
        if (record.state === "paused") ctx.armTtl(entry);
      }
      entry.creating = false;
      await ctx.save(entry);
      return "adopted";
    } catch (err) {
      logger.warn({ err, sandboxId }, "adopted sandbox's envd does not answer; removing it");
      ctx.forget(sandboxId);
    }
  } else {
    logger.warn({ sandboxId }, "sandbox of a previous run has no usable record (its create was cut short); removing it");
  }
  await runtime.destroy(sandboxId).catch((err: unknown) => logger.error({ err, sandboxId }, "could not remove an unadoptable sandbox"));
  return "lost";
}
