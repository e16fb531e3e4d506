import type { SandboxContext } from "./sandbox-context.js";
import { pauseLocked } from "./sandbox-pause.js";

/**
 * Every `reaperIntervalMs`, pauses or kills (its expiry action) each running
 * sandbox whose TTL ran out, and publishes what it did. Returns the stop
 * function.
 */
export function startTtlReaper(ctx: SandboxContext): () => void {
  const { entries, runtime, logger, events } = ctx;

  async function reap(): Promise<void> {
    const now = Date.now();
    for (const entry of [...entries.values()]) {
      const { sandboxId, expiresAt } = entry.info;
      if (entry.creating || entry.info.state !== "running" || !expiresAt || expiresAt.getTime() > now) continue;
      await ctx.lock
        .run(sandboxId, async () => {
          const current = entries.get(sandboxId);
          // Re-check under the lock: a resume or SetSandboxTimeout may have moved the deadline.
          if (current !== entry || entry.info.state !== "running" || !entry.info.expiresAt || entry.info.expiresAt.getTime() > Date.now()) return;
          if (entry.info.onExpiry === "pause" && runtime.capabilities.pause !== "none") {
            await pauseLocked(ctx, entry);
            logger.info({ sandboxId }, "TTL expired: sandbox paused");
            events.publish("auto-paused", sandboxId, "TTL expired");
          } else {
            await ctx.destroyLocked(sandboxId);
            logger.info({ sandboxId }, "TTL expired: sandbox killed");
            events.publish("ttl-killed", sandboxId, "TTL expired");
          }
        })
        .catch((err: unknown) => logger.error({ err, sandboxId }, "TTL expiry handling failed"));
    }
  }

  let reaping = false;
  const reaper = setInterval(() => {
    if (reaping) return;
    reaping = true;
    void reap().finally(() => (reaping = false));
  }, ctx.options.reaperIntervalMs);
  reaper.unref();
  return () => clearInterval(reaper);
}
