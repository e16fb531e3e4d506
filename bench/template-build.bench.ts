/**
 * Template builds on a whole stack (QEMU runtime, TCG on machines without
 * KVM): the time a small recipe takes to build uncached and then again with
 * every step cached, each also as a ratio to a plain sandbox create measured
 * in the same run (the machine's speed drifts between runs), and the
 * template's size on disk (Template.disk_bytes, and its memory file and
 * flattened disk as the host agent stores them).
 *
 *   npm run bench template-build               3 build pairs
 *   npm run bench template-build -- --quick    1 build pair
 */
import { randomBytes } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { createWrennClient, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { createChannel, createClientFactory, Metadata, type Channel } from "nice-grpc";
import { BuildServiceDefinition, BuildStatus, TemplateServiceDefinition, type CreateBuildRequest } from "@wrenn/gen/wrenn/api/v1/template.js";
import { percentile, type BenchSuite, type Report } from "./suite.js";

const quick = process.argv.includes("--quick");
const pairs = quick ? 1 : 3;
const MiB = 1024 * 1024;

function apiClients(stack: Stack) {
  const channel: Channel = createChannel(stack.grpcAddress);
  const factory = createClientFactory().use(async function* (call, options) {
    const metadata = Metadata(options.metadata);
    metadata.set("authorization", `Bearer ${stack.apiKey}`);
    return yield* call.next(call.request, { ...options, metadata });
  });
  return { builds: factory.create(BuildServiceDefinition, channel), templates: factory.create(TemplateServiceDefinition, channel), channel };
}

type Api = ReturnType<typeof apiClients>;

/** Builds `recipe` as `name` and waits for its end; the time from the create call to the ended event. */
async function timedBuild(api: Api, name: string, recipe: string): Promise<{ ms: number; templateId: string; cached: number; total: number }> {
  const t0 = performance.now();
  async function* parts(): AsyncIterable<CreateBuildRequest> {
    yield { spec: { name, recipe, vcpus: 0, memoryMib: 0, diskMib: 0, platform: false, stepTimeoutSeconds: 0 } };
  }
  const { build } = await api.builds.createBuild(parts());
  for await (const _ of api.builds.watchBuild({ buildId: build!.buildId, afterSeq: 0 })) {
    // The stream ends after the build's last event.
  }
  const ms = performance.now() - t0;
  const { build: done } = await api.builds.getBuild({ buildId: build!.buildId });
  if (done?.status !== BuildStatus.BUILD_STATUS_SUCCEEDED) throw new Error(`build ${name} ${BuildStatus[done?.status ?? 0]}: ${done?.error}`);
  return { ms, templateId: done.templateId, cached: done.stepsCached, total: done.stepsTotal };
}

/** A plain create to first exec output: the baseline the build times are compared with. */
async function createToExec(client: WrennClient): Promise<number> {
  const t0 = performance.now();
  const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
  const out = await client.run(sandbox!.sandboxId, "echo", ["ready"]);
  const ms = performance.now() - t0;
  if (out.stdout !== "ready\n") throw new Error(`unexpected exec output ${JSON.stringify(out.stdout)}`);
  await client.sandboxes.destroySandbox({ sandboxId: sandbox!.sandboxId, wait: true });
  return ms;
}

/** The files of a template directory on the host (allocated bytes, as du counts them), wherever the runtime keeps it. */
async function templateFiles(hostDataDir: string, templateId: string): Promise<Map<string, number>> {
  const files = new Map<string, number>();
  const root = join(hostDataDir, "templates");
  for (const runtimeDir of await readdir(root).catch(() => [] as string[])) {
    const dir = join(root, runtimeDir, templateId);
    for (const file of await readdir(dir).catch(() => [] as string[])) {
      const s = await stat(join(dir, file));
      if (s.isFile()) files.set(file, s.blocks * 512);
    }
  }
  return files;
}

async function run(report: Report): Promise<void> {
  const external = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
  const stack = await startStack({
    ...(external ? {} : { embedded: true }),
    runtime: "qemu",
    hostagentStartTimeoutMs: 15 * 60_000,
  });
  const client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
  const api = apiClients(stack);
  try {
    // Warm-up: the base template's first use; not counted.
    await createToExec(client);
    const baseline: number[] = [];
    const uncached: number[] = [];
    const cached: number[] = [];
    let templateId = "";
    for (let i = 0; i < pairs; i++) {
      baseline.push(await createToExec(client));
      // A marker of its own makes every pair's first build miss the cache.
      const recipe = `FROM base\nRUN echo ${randomBytes(8).toString("hex")} > /home/wrenn-user/marker\nENV BENCH=1\nWORKDIR /home/wrenn-user/app\n`;
      const first = await timedBuild(api, `bench-${i}`, recipe);
      if (first.cached !== 0) throw new Error(`the first build took ${first.cached} steps from the cache`);
      uncached.push(first.ms);
      const again = await timedBuild(api, `bench-${i}`, recipe);
      if (again.cached !== again.total) throw new Error(`the second build ran ${again.total - again.cached} steps`);
      cached.push(again.ms);
      templateId = again.templateId;
    }
    for (const list of [baseline, uncached, cached]) list.sort((a, b) => a - b);
    const base = percentile(baseline, 50);
    report("create_to_exec_median", base, "ms");
    report("build_uncached_median", percentile(uncached, 50), "ms");
    report("build_uncached_vs_create", percentile(uncached, 50) / base, "x");
    report("build_cached_median", percentile(cached, 50), "ms");
    report("build_cached_vs_create", percentile(cached, 50) / base, "x");

    const { template } = await api.templates.getTemplate({ templateId });
    report("template_disk_bytes", Number(template!.diskBytes) / MiB, "MiB");
    // What the agent keeps for it: the flattened disk beside the memory file (and the rest).
    const files = await templateFiles(join(stack.dataDir, "host"), templateId);
    for (const [file, bytes] of [...files].sort((a, b) => b[1] - a[1])) report(`template_file_${file.replace(/[^A-Za-z0-9]+/g, "_")}`, bytes / MiB, "MiB");
    const { templates } = await api.templates.listTemplates({});
    const baseRow = templates.find((t) => t.platform && t.name === "base" && t.tag === "latest");
    if (baseRow && baseRow.diskBytes > 0) report("template_vs_base_disk_bytes", Number(template!.diskBytes) / Number(baseRow.diskBytes), "x");
  } finally {
    api.channel.close();
    client.close();
    await stack.close();
  }
}

export const suite: BenchSuite = {
  name: "template-build",
  description: "template build time (small recipe, uncached and cached, vs a plain create) and the template's size on disk (QEMU runtime)",
  run,
};
