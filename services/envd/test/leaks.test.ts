import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startEnvd, type RunningEnvd } from "./harness.js";

let envd: RunningEnvd;
beforeAll(async () => {
  // A port scan in flight would show up as a file request in the diagnostics; keep the scanner idle.
  envd = await startEnvd({ WRENN_ENVD_KEEPALIVE_MS: "200", WRENN_ENVD_PORT_SCAN_MS: "3600000" });
});
afterAll(async () => {
  await envd?.stop();
});

const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** Live children of a pid (zombies count: an unreaped child is a leak too). */
function childCount(pid: number): number {
  let n = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) n += 1;
    } catch {
      /* exited meanwhile */
    }
  }
  return n;
}

/** Asks envd (SIGUSR2) for its active handles and timers, from the log line it writes. */
async function diagnostics(): Promise<{ resources: Record<string, number>; processes: number; openCalls: number }> {
  const before = envd.logs.length;
  envd.child.kill("SIGUSR2");
  return vi.waitFor(
    () => {
      const line = envd.logs.slice(before).find((l) => l.msg === "diagnostics");
      if (!line) throw new Error("envd wrote no diagnostics line after SIGUSR2");
      return line as never;
    },
    { timeout: 2_000 },
  );
}

async function cycle(i: number) {
  const kind = i % 4;
  const abort = new AbortController();
  const stream = envd.process.start(
    {
      process: { cmd: "sleep", args: ["60"] },
      background: kind === 1,
      pty: kind === 2 ? { rows: 24, cols: 80 } : undefined,
      keepStdinOpen: kind === 3,
    },
    { signal: abort.signal },
  );
  let pid = 0;
  let ended = false;
  for await (const { event } of stream) {
    if (event?.start) {
      pid = event.start.pid;
      await envd.process.kill({ selector: String(pid) });
    }
    if (event?.end) ended = true;
  }
  if (!ended) throw new Error(`cycle ${i}: no end event`);
}

describe("robustness", () => {
  it("returns to its baseline of fds, children and timers after 1,000 start/kill cycles", async () => {
    const pid = envd.child.pid!;
    // Warm up lazily created handles (the first spawn, the first PTY) before measuring.
    for (let i = 0; i < 8; i += 1) await cycle(i);
    await new Promise((r) => setTimeout(r, 300));
    const baseline = { fds: fdCount(pid), children: childCount(pid), diag: await diagnostics() };

    const concurrency = 4;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < 1_000) await cycle(next++);
      }),
    );

    await expect.poll(() => fdCount(pid), { timeout: 5_000, message: "envd's open fds back to the baseline" }).toBeLessThanOrEqual(baseline.fds);
    expect(childCount(pid)).toBe(baseline.children);
    const after = await diagnostics();
    expect(after.processes).toBe(0);
    expect(after.openCalls).toBe(0);
    expect(after.resources.Timeout ?? 0).toBeLessThanOrEqual(baseline.diag.resources.Timeout ?? 0);
    expect(after.resources).toEqual(baseline.diag.resources);
  }, 90_000);
});
