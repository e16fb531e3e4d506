/**
 * Host agent runtimes, end to end through the agent's gRPC API (a real agent
 * process per runtime): create-from-template to first exec output, pause and
 * resume times for 256 MiB and 1 GiB guests, host memory per idle sandbox,
 * and how create latency and memory change with 1, 10 and 50 sandboxes alive.
 *
 *   npm run bench runtime              full run
 *   npm run bench runtime -- --quick   CI: fewer samples, 1 and 5 alive, 256 MiB only
 *   WRENN_BENCH_RUNTIMES=namespace     one runtime only
 *   WRENN_BENCH_QEMU_MAX=20            most VMs alive at once for qemu (default 20: 50 idle TCG
 *                                      VMs need ~3.5 cores on a 2-core host; see the report)
 *   WRENN_BENCH_LEVELS=1,10,50         sandboxes alive at each scale step (overrides the above)
 */
import { newSandboxId, startHostAgent, type BenchAgent } from "./services.js";
import { percentile, type BenchSuite, type Report } from "./suite.js";

const quick = process.argv.includes("--quick");
const runtimes = (process.env.WRENN_BENCH_RUNTIMES ?? "namespace,qemu").split(",");
const imagesDir = process.env.WRENN_TEST_IMAGES_DIR ?? "/var/lib/wrenn/images";
const qemuMax = Number(process.env.WRENN_BENCH_QEMU_MAX ?? 20);
const MiB = 1024 * 1024;

interface Row {
  runtime: string;
  metric: string;
  value: number;
  unit: string;
}

function agentEnv(runtime: string, memoryMb: number): Record<string, string> {
  const common = { WRENN_LOG_LEVEL: "info", WRENN_DEFAULT_MEMORY_MB: String(memoryMb) };
  return runtime === "qemu" ? { ...common, WRENN_RUNTIME: "qemu", WRENN_IMAGES_DIR: imagesDir } : { ...common, WRENN_RUNTIME: "namespace" };
}

async function createToFirstExec(agent: BenchAgent): Promise<{ id: string; ms: number }> {
  const id = newSandboxId();
  const t0 = performance.now();
  await agent.sandboxes.createSandbox({ sandboxId: id, templateId: "base", startTimeoutSeconds: 300 });
  const out = await agent.exec(id, "echo", ["ready"]);
  if (out.trim() !== "ready") throw new Error(`unexpected exec output ${JSON.stringify(out)}`);
  return { id, ms: performance.now() - t0 };
}

async function pauseResume(agent: BenchAgent, samples: number): Promise<{ pause: number[]; resume: number[] }> {
  const id = (await createToFirstExec(agent)).id;
  const pause: number[] = [];
  const resume: number[] = [];
  for (let i = 0; i < samples; i++) {
    let t0 = performance.now();
    await agent.sandboxes.pauseSandbox({ sandboxId: id });
    pause.push(performance.now() - t0);
    t0 = performance.now();
    await agent.sandboxes.resumeSandbox({ sandboxId: id });
    // Resume counts until the sandbox answers again.
    await agent.exec(id, "true");
    resume.push(performance.now() - t0);
  }
  await agent.sandboxes.destroySandbox({ sandboxId: id });
  return { pause: pause.sort((a, b) => a - b), resume: resume.sort((a, b) => a - b) };
}

async function benchRuntime(runtime: string, report: (metric: string, value: number, unit: string) => void): Promise<void> {
  const samples = quick ? 5 : 20;
  const levels = process.env.WRENN_BENCH_LEVELS
    ? process.env.WRENN_BENCH_LEVELS.split(",").map(Number)
    : quick ? [1, 5] : runtime === "qemu" ? [1, 10, qemuMax] : [1, 10, 50];
  const agent = await startHostAgent(agentEnv(runtime, 256), 900_000);
  try {
    // Create → first exec output, nothing else alive.
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const { id, ms } = await createToFirstExec(agent);
      times.push(ms);
      await agent.sandboxes.destroySandbox({ sandboxId: id });
    }
    times.sort((a, b) => a - b);
    report("create_to_exec_median", percentile(times, 50), "ms");
    report("create_to_exec_p99", percentile(times, 99), "ms");

    const pr = await pauseResume(agent, quick ? 3 : 10);
    report("pause_256MiB_median", percentile(pr.pause, 50), "ms");
    report("resume_256MiB_median", percentile(pr.resume, 50), "ms");

    // Scale: keep `level` sandboxes alive, then measure one more create and idle memory.
    const alive: string[] = [];
    for (const level of levels) {
      try {
        while (alive.length < level) alive.push((await createToFirstExec(agent)).id);
      } catch (err) {
        report(`scale_failed_at_${alive.length + 1}`, alive.length, "sandboxes");
        console.error(`[${runtime}] could not start sandbox ${alive.length + 1}: ${String(err)}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 2000)); // let them go idle
      let memory = 0;
      for (const id of alive) memory += (await agent.sandboxes.getSandboxMetrics({ sandboxId: id })).memoryBytes;
      report(`idle_memory_per_sandbox_at_${level}`, memory / alive.length / MiB, "MiB");
      const extra: number[] = [];
      for (let i = 0; i < 3; i++) {
        const { id, ms } = await createToFirstExec(agent);
        extra.push(ms);
        await agent.sandboxes.destroySandbox({ sandboxId: id });
      }
      extra.sort((a, b) => a - b);
      report(`create_to_exec_median_with_${level}_alive`, percentile(extra, 50), "ms");
    }
    await Promise.all(alive.map((sandboxId) => agent.sandboxes.destroySandbox({ sandboxId }).catch(() => {})));
  } finally {
    await agent.stop();
  }
  if (runtime === "qemu" && !quick) {
    // A 1 GiB guest needs its own base template (vCPUs and memory are fixed by the snapshot).
    const big = await startHostAgent(agentEnv(runtime, 1024), 900_000);
    try {
      const pr = await pauseResume(big, 5);
      report("pause_1GiB_median", percentile(pr.pause, 50), "ms");
      report("resume_1GiB_median", percentile(pr.resume, 50), "ms");
    } finally {
      await big.stop();
    }
  }
}

export const suite: BenchSuite = {
  name: "runtime",
  description: "host agent per runtime: create→exec, pause/resume (256 MiB, 1 GiB), idle memory, scaling with 1/10/50 alive",
  async run(report: Report) {
    const rows: Row[] = [];
    for (const runtime of runtimes) {
      await benchRuntime(runtime, (metric, value, unit) => {
        rows.push({ runtime, metric, value, unit });
        report(`${runtime}.${metric}`, value, unit);
      });
    }
    // One table, runtimes side by side.
    const metrics = [...new Set(rows.map((r) => `${r.metric} (${r.unit})`))];
    const header = ["metric", ...runtimes];
    const lines = metrics.map((m) => [m, ...runtimes.map((rt) => {
      const row = rows.find((r) => r.runtime === rt && `${r.metric} (${r.unit})` === m);
      return row ? row.value.toFixed(1) : "-";
    })]);
    const widths = header.map((_, i) => Math.max(...[header, ...lines].map((l) => l[i].length)));
    const fmt = (l: string[]) => l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
    console.log(["", fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...lines.map(fmt)].join("\n"));
  },
};
