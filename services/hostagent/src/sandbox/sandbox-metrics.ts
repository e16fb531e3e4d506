import type { SandboxContext } from "./sandbox-context.js";
import type { Entry } from "./sandbox-entry.js";
import type { SandboxMetrics } from "./sandbox-info.js";

/** How long the first metrics call of a running sandbox samples its CPU time (later calls measure since the previous one). */
const firstSampleMs = 250;

/** The runtime's stats of a sandbox (under its lock), with its CPU use in cores since the previous call. */
export async function sandboxMetrics(ctx: SandboxContext, entry: Entry): Promise<SandboxMetrics> {
  const { runtime, cpuSamples } = ctx;
  const { sandboxId } = entry.info;
  const stats = await runtime.stats(sandboxId);
  let previous = cpuSamples.get(sandboxId);
  if (!previous && entry.info.state === "running") {
    previous = { at: performance.now(), cpuSeconds: stats.cpuSeconds };
    await new Promise((r) => setTimeout(r, firstSampleMs));
    Object.assign(stats, { cpuSeconds: (await runtime.stats(sandboxId)).cpuSeconds });
  }
  const now = performance.now();
  const cpuCores = previous && now > previous.at ? Math.max(0, (stats.cpuSeconds - previous.cpuSeconds) / ((now - previous.at) / 1000)) : 0;
  if (entry.info.state === "running") cpuSamples.set(sandboxId, { at: now, cpuSeconds: stats.cpuSeconds });
  return { ...stats, cpuCores, state: entry.info.state };
}
