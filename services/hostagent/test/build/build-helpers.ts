import { execFileSync } from "node:child_process";
import { mkdtemp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "nice-grpc";
import { BuildServiceDefinition, type BuildEvent, type BuildSpec } from "@wrenn/gen/wrenn/hostagent/v1/build.js";
import { randomUUID } from "node:crypto";
import { toWireId } from "@wrenn/shared";
import type { AgentProcess } from "../harness.js";

/** Helpers of the builder's tests: a BuildService client, builds started and followed to their end, leftovers looked for. */
export type BuildClient = ReturnType<typeof createClient<typeof BuildServiceDefinition>>;

export const buildClient = (agent: AgentProcess): BuildClient => createClient(BuildServiceDefinition, agent.channel);
export const newBuildId = () => toWireId("bld", randomUUID());
export const newTemplateId = () => toWireId("tpl", randomUUID());

export function specOf(recipe: string, extra: Partial<BuildSpec> = {}): BuildSpec {
  return { buildId: newBuildId(), templateId: newTemplateId(), fromTemplateId: "base", recipe, diskMib: 0, stepTimeoutSeconds: 120, ...extra };
}

/** StartBuild with the archive's bytes in 64 KiB chunks. */
export async function startBuild(client: BuildClient, spec: BuildSpec, archive?: Buffer) {
  async function* requests() {
    yield { spec };
    for (let i = 0; archive !== undefined && i < archive.length; i += 65536) yield { archiveChunk: archive.subarray(i, i + 65536) };
  }
  return client.startBuild(requests());
}

/** Every event of the build from after_seq to its end. */
export async function eventsUntilEnd(client: BuildClient, buildId: string, afterSeq = 0, timeoutMs = 600_000): Promise<BuildEvent[]> {
  const events: BuildEvent[] = [];
  for await (const { event } of client.watchBuild({ buildId, afterSeq }, { signal: AbortSignal.timeout(timeoutMs) })) if (event) events.push(event);
  return events;
}

/** Resolves with the first event matching `predicate` (the build keeps going). */
export async function waitForEvent(client: BuildClient, buildId: string, predicate: (e: BuildEvent) => boolean): Promise<BuildEvent> {
  const controller = new AbortController();
  try {
    for await (const { event } of client.watchBuild({ buildId, afterSeq: 0 }, { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(300_000)]) })) {
      if (event && predicate(event)) return event;
    }
  } finally {
    controller.abort();
  }
  throw new Error("build ended before the awaited event");
}

/** A tar.gz made with the system's tar from files given as path → content. */
export async function makeTarGz(files: Record<string, string>): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), "wrenn-build-src-"));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  execFileSync("tar", ["-czf", join(dir, "..", `${dir.split("/").pop()}.tar.gz`), "-C", dir, "."]);
  return readFile(join(dir, "..", `${dir.split("/").pop()}.tar.gz`));
}

/** QEMU processes of the agent's sandboxes still alive (internal ones included). */
export async function qemuProcessesUnder(dataDir: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes("qemu-system") && cmdline.includes(dataDir)) found.push(Number(entry));
  }
  return found;
}

/** What a failed or cancelled build must not leave: sandbox dirs, build dirs, the template's dir. */
export async function leftovers(dataDir: string, buildId: string, templateId: string) {
  const sandboxes = await readdir(join(dataDir, "sandboxes")).catch(() => [] as string[]);
  const builds = await readdir(join(dataDir, "builds")).catch(() => [] as string[]);
  const templates = await readdir(join(dataDir, "templates", "qemu")).catch(() => [] as string[]);
  return {
    sandboxDirs: sandboxes.filter((n) => n.startsWith("sb-")),
    buildDir: builds.includes(buildId),
    templateDirs: templates.filter((n) => n.includes(templateId)),
    qemu: await qemuProcessesUnder(dataDir),
  };
}
