import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomUUID } from "node:crypto";
import { createChannel, createClient, Metadata, type Channel } from "nice-grpc";
import { SandboxServiceDefinition } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { ProcessServiceDefinition, type StartRequest } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { FilesystemServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { toWireId, sandboxIdMetadataKey } from "@wrenn/shared";
import { spawnService, type ServiceProcess } from "@wrenn/devstack";

/** Test harness: the real host agent as a child process, and real gRPC clients to it. */
const serviceDir = fileURLToPath(new URL("..", import.meta.url));
export const envdBundle = fileURLToPath(new URL("../../envd/dist/envd.mjs", import.meta.url));

/** QEMU on PATH: the QEMU legs of the agent tests need it (and the guest image). */
export const qemuInstalled = (process.env.PATH ?? "").split(":").some((dir) => existsSync(join(dir, "qemu-system-x86_64")));
/** Runtimes the agent tests run on: WRENN_TEST_RUNTIMES, else both where QEMU is installed. */
export const testRuntimes = (process.env.WRENN_TEST_RUNTIMES ?? (qemuInstalled ? "namespace,qemu" : "namespace")).split(",");

export interface AgentProcess {
  address: string;
  dataDir: string;
  child: ChildProcess;
  service: ServiceProcess;
  /** Every line it wrote, as written. */
  logs: string[];
  sandboxes: ReturnType<typeof createClient<typeof SandboxServiceDefinition>>;
  process: ReturnType<typeof createClient<typeof ProcessServiceDefinition>>;
  files: ReturnType<typeof createClient<typeof FilesystemServiceDefinition>>;
  channel: Channel;
  stop(): Promise<void>;
}

export async function startAgent(env: Record<string, string> = {}, startTimeoutMs = 20_000): Promise<AgentProcess> {
  const dataDir = env.WRENN_DATA_DIR ?? (await mkdtemp(join(tmpdir(), "wrenn-ha-")));
  const service = await spawnService({
    name: "hostagent",
    entry: "src/main.ts",
    cwd: serviceDir,
    env: {
      WRENN_HOSTAGENT_LISTEN: "127.0.0.1:0",
      WRENN_PORT_PROXY_LISTEN: "127.0.0.1:0",
      WRENN_DATA_DIR: dataDir,
      WRENN_ENVD_BUNDLE: envdBundle,
      WRENN_LOG_LEVEL: "info",
      WRENN_RUNTIME: "namespace",
      // Networking has its own tests (test/network); these stay off the host firewall.
      WRENN_SANDBOX_NETWORK: "isolated",
      // Throwaway data dirs: a stopped agent takes its sandboxes with it (restart tests ask for "keep").
      WRENN_SANDBOXES_ON_STOP: "destroy",
      ...env,
    },
    listeners: ["grpc", "port-proxy"],
    startTimeoutMs,
  });
  const address = service.addresses.get("grpc")!;
  const channel = createChannel(address);
  return {
    address,
    dataDir,
    child: service.child,
    service,
    logs: service.lines,
    channel,
    sandboxes: createClient(SandboxServiceDefinition, channel),
    process: createClient(ProcessServiceDefinition, channel),
    files: createClient(FilesystemServiceDefinition, channel),
    async stop() {
      channel.close();
      await service.stop();
      if (!env.WRENN_DATA_DIR) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Destroys whatever sandboxes the agent still has (a failed test's leftovers), then stops it. */
export async function stopAgentAndSandboxes(agent: AgentProcess): Promise<void> {
  for (const { sandboxId } of (await agent.sandboxes.listSandboxes({}).catch(() => ({ sandboxes: [] }))).sandboxes) {
    await agent.sandboxes.destroySandbox({ sandboxId }).catch(() => {});
  }
  await agent.stop();
}

export function newSandboxId(): string {
  return toWireId("sb", randomUUID());
}

export function forSandbox(sandboxId: string): { metadata: Metadata } {
  return { metadata: Metadata({ [sandboxIdMetadataKey]: sandboxId }) };
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
  pid: number | undefined;
}

/** Runs a command through the relay and collects its whole output. */
export async function exec(
  agent: AgentProcess,
  sandboxId: string,
  cmd: string,
  args: string[] = [],
  extra: Partial<StartRequest> = {},
): Promise<ExecResult> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let exitCode: number | undefined;
  let pid: number | undefined;
  for await (const response of agent.process.start(
    { process: { cmd, args, envs: {} }, timeoutMs: 30_000, ...extra },
    forSandbox(sandboxId),
  )) {
    const event = response.event;
    if (event?.start) pid = event.start.pid;
    if (event?.data?.stdout) stdout.push(Buffer.from(event.data.stdout));
    if (event?.data?.stderr) stderr.push(Buffer.from(event.data.stderr));
    if (event?.end) exitCode = event.end.exitCode;
  }
  return { stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8"), exitCode, pid };
}

/** What a user would check after a destroy: no directory, no mount, no process. */
export async function leftoversOf(dataDir: string, sandboxId: string) {
  const dirs = await readdir(join(dataDir, "sandboxes")).catch(() => [] as string[]);
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  const mounts = mountinfo.split("\n").filter((line) => line.includes(sandboxId));
  const processes: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(sandboxId)) processes.push(Number(entry));
  }
  return { dir: dirs.includes(sandboxId), mounts, processes };
}

/** Host pid of the process holding the sandbox: its QEMU (named wrenn-<id>) or its bwrap. */
export async function sandboxPidOf(sandboxId: string): Promise<number | undefined> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (args.includes(`wrenn-${sandboxId}`) || (args[0]?.endsWith("bwrap") && args.includes(sandboxId))) return Number(entry);
  }
  return undefined;
}

/** Host pid of the bwrap holding the sandbox (its command line names the sandbox's root). */
export async function bwrapPidOf(sandboxId: string): Promise<number | undefined> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    const args = cmdline.split("\0");
    if (args[0]?.endsWith("bwrap") && args.includes(sandboxId)) return Number(entry);
  }
  return undefined;
}
