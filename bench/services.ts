/**
 * The services the benchmarks measure, started as real processes through
 * @wrenn/devstack's spawnService and reached through the generated gRPC
 * clients only, as an operator's tooling would: envd alone on a unix socket,
 * and a host agent on a loopback port.
 */
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createChannel, createClient, Metadata, type Channel } from "nice-grpc";
import { repoRoot, spawnService, startStack, type Stack } from "@wrenn/devstack";
import { EnvdServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import { FilesystemServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { ProcessServiceDefinition, type StartRequest } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { SandboxServiceDefinition } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { accessTokenMetadataKey, sandboxIdMetadataKey, toWireId } from "@wrenn/shared";

const envdBundle = join(repoRoot, "services/envd/dist/envd.mjs");
let envdBuilt = false;

/** Builds envd's bundle and helpers once per run: the bench measures the code as it is now. */
function buildEnvd(): void {
  if (envdBuilt) return;
  execFileSync("npm", ["run", "--silent", "build", "-w", "@wrenn/envd"], { cwd: repoRoot, stdio: "ignore" });
  envdBuilt = true;
}

export interface BenchEnvd {
  /** A scratch directory of its own (files the bench writes go here). */
  dir: string;
  process: ReturnType<typeof createClient<typeof ProcessServiceDefinition>>;
  fs: ReturnType<typeof createClient<typeof FilesystemServiceDefinition>>;
  stop(): Promise<void>;
}

/** envd's bundle on a unix socket, initialised with an access token every call presents. */
export async function startEnvd(): Promise<BenchEnvd> {
  buildEnvd();
  const dir = await mkdtemp(join(tmpdir(), "wrenn-bench-envd-"));
  const socket = join(dir, "envd.sock");
  const service = await spawnService({
    name: "envd",
    entry: envdBundle,
    bundled: true,
    inheritEnv: false,
    env: {
      WRENN_ENVD_LISTEN: `unix:${socket}`,
      // Not in a sandbox: never forward this machine's loopback ports, never touch its /run/wrenn.
      WRENN_ENVD_FORWARD_PORTS: "false",
      WRENN_ENVD_CLONE_FILE: join(dir, "clone-generation"),
    },
    listeners: ["grpc"],
    keepLogs: false,
  });
  // The three-slash form reaches grpc-js as a unix socket address unchanged.
  const channel = createChannel(`unix://${socket}`);
  const token = randomBytes(16).toString("hex");
  const withToken = { "*": { metadata: Metadata({ [accessTokenMetadataKey]: token }) } };
  await createClient(EnvdServiceDefinition, channel, withToken).init({ accessToken: token });
  return {
    dir,
    process: createClient(ProcessServiceDefinition, channel, withToken),
    fs: createClient(FilesystemServiceDefinition, channel, withToken),
    async stop() {
      channel.close();
      await service.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface BenchAgent {
  sandboxes: ReturnType<typeof createClient<typeof SandboxServiceDefinition>>;
  /** Runs `cmd` in a sandbox through the agent's relay; resolves with its stdout once it exited. */
  exec(sandboxId: string, cmd: string, args?: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** A host agent with a throwaway data dir, on a kernel-chosen loopback port. */
export async function startHostAgent(env: Record<string, string>, startTimeoutMs: number): Promise<BenchAgent> {
  buildEnvd();
  const dataDir = await mkdtemp(join(tmpdir(), "wrenn-bench-ha-"));
  const service = await spawnService({
    name: "hostagent",
    entry: "services/hostagent/src/main.ts",
    env: {
      WRENN_HOSTAGENT_LISTEN: "127.0.0.1:0",
      WRENN_PORT_PROXY_LISTEN: "127.0.0.1:0",
      WRENN_DATA_DIR: dataDir,
      WRENN_ENVD_BUNDLE: envdBundle,
      // The bench measures sandboxes, not the host firewall.
      WRENN_SANDBOX_NETWORK: "isolated",
      // Its sandboxes go with it: nothing of a bench run outlives it.
      WRENN_SANDBOXES_ON_STOP: "destroy",
      ...env,
    },
    listeners: ["grpc"],
    startTimeoutMs,
    keepLogs: false,
  });
  const channel: Channel = createChannel(service.addresses.get("grpc")!);
  const processes = createClient(ProcessServiceDefinition, channel);
  return {
    sandboxes: createClient(SandboxServiceDefinition, channel),
    async exec(sandboxId, cmd, args = []) {
      const request: Partial<StartRequest> = { process: { cmd, args, envs: {} }, timeoutMs: 30_000 };
      const stdout: Buffer[] = [];
      let exitCode: number | undefined;
      for await (const { event } of processes.start(request, { metadata: Metadata({ [sandboxIdMetadataKey]: sandboxId }) })) {
        if (event?.data?.stdout) stdout.push(Buffer.from(event.data.stdout));
        if (event?.end) exitCode = event.end.exitCode;
      }
      if (exitCode !== 0) throw new Error(`${cmd} in ${sandboxId} exited with ${exitCode}`);
      return Buffer.concat(stdout).toString("utf8");
    },
    async stop() {
      channel.close();
      await service.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function newSandboxId(): string {
  return toWireId("sb", randomUUID());
}

/**
 * A whole platform for the suites that go through the API: on the local
 * PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set (what
 * `./wrenn test` starts), else in embedded mode (PGlite and the in-process
 * bus), so `npm run bench` needs nothing running beforehand.
 */
export function startBenchStack(): Promise<Stack> {
  const external = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
  return startStack(external ? {} : { embedded: true });
}
