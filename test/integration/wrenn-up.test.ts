import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { repoRoot } from "@wrenn/devstack";
import { freePort, portIsFree, processAlive } from "../harness/free-port.js";

// `./wrenn up` as a user runs it, in the background with a data dir and ports
// of its own (embedded database, namespace sandboxes): it supervises its
// services (kill -9 of one is reported with its last log lines, the service
// comes back on the same address and the API works again), and SIGTERM or
// SIGINT to its PID stops every service and frees every port. The second
// start, on the same data dir, finds the first one's sandbox still running.
// The first start prints the API key it created (and where it keeps it); the
// second prints only where it is.
let dataDir: string;
let ports: { grpc: number; http: number; hostagent: number; portProxy: number };
let up: Platform | undefined;

interface Platform {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  pids: { controlplane: number; hostagent: number };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "wrenn-up-"));
  ports = { grpc: await freePort(), http: await freePort(), hostagent: await freePort(), portProxy: await freePort() };
});

afterAll(async () => {
  // A test that failed half way: stop what is left, sandboxes first.
  if (up && up.child.exitCode === null) {
    await destroyAll().catch(() => undefined);
    up.child.kill("SIGKILL");
  }
  // Sandboxes a failed test left running (kept on stop): this test started them.
  for (const pid of await processesUsing(dataDir, "all")) process.kill(pid, "SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
}, 120_000);

async function startUp(): Promise<Platform> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Embedded database and event bus, as on a fresh machine.
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  Object.assign(env, {
    WRENN_DATA_DIR: dataDir,
    WRENN_RUNTIME: "namespace",
    WRENN_SANDBOX_NETWORK: "isolated",
    WRENN_GRPC_LISTEN: `127.0.0.1:${ports.grpc}`,
    WRENN_HTTP_LISTEN: `127.0.0.1:${ports.http}`,
    WRENN_HOSTAGENT_LISTEN: `127.0.0.1:${ports.hostagent}`,
    WRENN_PORT_PROXY_LISTEN: `127.0.0.1:${ports.portProxy}`,
  });
  const child = spawn(join(repoRoot, "wrenn"), ["up"], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout!.on("data", (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const outputWhileRunning = () => {
    if (child.exitCode !== null) throw new Error(`./wrenn up exited: ${text}`);
    return text;
  };
  const banner = await matchIn(outputWhileRunning, /controlplane pid (\d+), hostagent pid (\d+)/, "./wrenn up to say it is up", 600_000);
  return { child, output: () => text, exited, pids: { controlplane: Number(banner[1]), hostagent: Number(banner[2]) } };
}

/** The match of `pattern` once `output()` has it; the error shows the output so far. */
function matchIn(output: () => string, pattern: RegExp, what: string, timeout = 60_000): Promise<RegExpExecArray> {
  return vi.waitFor(
    () => {
      const match = pattern.exec(output());
      if (!match) throw new Error(`waiting for ${what}; the output so far:\n${output()}`);
      return match;
    },
    { timeout, interval: 100 },
  );
}

/** The key the first start created, as a user reads it: `cat .wrenn/api-key`. */
async function keyHeaders(): Promise<Record<string, string>> {
  return { authorization: `Bearer ${(await readFile(join(dataDir, "api-key"), "utf8")).trim()}` };
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const response = await fetch(`http://127.0.0.1:${ports.http}${path}`, {
    method,
    headers: await keyHeaders(),
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  return { status: response.status, json: text.startsWith("{") ? JSON.parse(text) : {} };
}

/** Runs a command in a sandbox through the HTTP API; its stdout. */
async function exec(sandboxId: string, script: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${ports.http}/v1/sandboxes/${sandboxId}/processes`, {
    method: "POST",
    headers: await keyHeaders(),
    body: JSON.stringify({ process: { cmd: "sh", args: ["-c", script] } }),
    signal: AbortSignal.timeout(60_000),
  });
  expect(response.status).toBe(200);
  let stdout = "";
  for (const line of (await response.text()).split("\n")) {
    if (!line) continue;
    const event = JSON.parse(line).event;
    if (event?.data?.stdout) stdout += Buffer.from(event.data.stdout, "base64").toString();
  }
  return stdout;
}

async function destroyAll(): Promise<void> {
  const { json } = await api("GET", "/v1/sandboxes");
  for (const sandbox of json.sandboxes ?? []) {
    if (sandbox.status !== "SANDBOX_STATUS_STOPPED") await api("DELETE", `/v1/sandboxes/${sandbox.sandboxId}?wait=true`);
  }
}

/** Processes started for this data dir: with `services` only the platform's own (node), else sandboxes too. */
async function processesUsing(dir: string, only: "services" | "all"): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const environ = await readFile(`/proc/${entry}/environ`, "utf8").catch(() => "");
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (!environ.includes(`WRENN_DATA_DIR=${dir}`) && !cmdline.includes(dir)) continue;
    if (only === "services" && !/scripts\/up\.ts|src\/main\.ts/.test(cmdline)) continue;
    found.push(Number(entry));
  }
  return found.filter(processAlive);
}

async function stopsCleanly(platform: Platform, signal: NodeJS.Signals, sandboxesLeft: boolean): Promise<void> {
  // The PID of `./wrenn up` itself, as `kill $PID` would.
  process.kill(platform.child.pid!, signal);
  const exit = await platform.exited;
  expect(exit, platform.output()).toEqual({ code: 0, signal: null });
  expect(platform.output()).toContain("stopped.");
  for (const pid of Object.values(platform.pids)) expect(processAlive(pid), `service pid ${pid}`).toBe(false);
  expect(await processesUsing(dataDir, "services")).toEqual([]);
  if (!sandboxesLeft) expect(await processesUsing(dataDir, "all")).toEqual([]);
  for (const port of Object.values(ports)) expect(await portIsFree(port), `port ${port}`).toBe(true);
}

describe("./wrenn up", () => {
  let sandboxId: string;

  it("supervises its services: kill -9 of the host agent is reported, it comes back, the API works", async () => {
    up = await startUp();
    // The key it just created, shown once, with where it is kept (owner-only, like every secret file).
    const key = (await readFile(join(dataDir, "api-key"), "utf8")).trim();
    expect(key).toMatch(/^wrn_[A-Za-z0-9_-]{43}$/);
    expect((await stat(join(dataDir, "api-key"))).mode & 0o777).toBe(0o600);
    expect(up.output()).toContain(`API key       ${key}`);
    expect(up.output()).toContain(`kept in ${join(dataDir, "api-key")}`);
    expect((await fetch(`http://127.0.0.1:${ports.http}/v1/sandboxes`)).status, "a call without the key").toBe(401);
    const created = await api("POST", "/v1/sandboxes", { waitReady: true });
    expect(created.status).toBe(200);
    sandboxId = created.json.sandbox.sandboxId;
    expect((await exec(sandboxId, "echo one")).trim()).toBe("one");

    process.kill(up.pids.hostagent, "SIGKILL");
    const report = await matchIn(() => up!.output(), /! hostagent \(pid \d+\) died: signal SIGKILL\. Its last log lines:\n((?: {4}\| .*\n)+)/, "the death report");
    // Its last log lines, as it wrote them (structured lines from the agent).
    expect(report[1]).toMatch(/"service":"hostagent"/);
    // The first address it prints is its gRPC one, then its port tunnel's: both where they were.
    const back = await matchIn(() => up!.output(), /✓ hostagent is back \(pid (\d+)\) on ([^\s,]+)/, "the host agent to be back", 120_000);
    expect(back[2]).toBe(`127.0.0.1:${ports.hostagent}`);
    expect(up.output()).toMatch(new RegExp(`hostagent is back \\(pid ${back[1]}\\) on [^\\n]*127\\.0\\.0\\.1:${ports.portProxy}\\n`));
    up.pids.hostagent = Number(back[1]);
    // The controlplane finds it again on its own: a new sandbox runs a command.
    const next = await vi.waitFor(
      async () => {
        const again = await api("POST", "/v1/sandboxes", { waitReady: true });
        if (again.json.sandbox?.status !== "SANDBOX_STATUS_RUNNING") throw new Error(`no running sandbox on the restarted agent yet: ${again.status} ${JSON.stringify(again.json)}`);
        return again.json.sandbox.sandboxId as string;
      },
      { timeout: 60_000, interval: 100 },
    );
    expect((await exec(next, "echo two")).trim()).toBe("two");
    await api("DELETE", `/v1/sandboxes/${next}?wait=true`);
  });

  it("kill -9 of the controlplane is reported and it comes back on the same address", async () => {
    process.kill(up!.pids.controlplane, "SIGKILL");
    const back = await matchIn(() => up!.output(), /✓ controlplane is back \(pid (\d+)\) on (.+)/, "the controlplane to be back", 120_000);
    expect(up!.output()).toMatch(/! controlplane \(pid \d+\) died: signal SIGKILL/);
    expect(back[2]).toContain(`127.0.0.1:${ports.http}`);
    up!.pids.controlplane = Number(back[1]);
    const listed = await api("GET", "/v1/sandboxes");
    expect(listed.status).toBe(200);
    expect(listed.json.sandboxes.map((s: { sandboxId: string }) => s.sandboxId)).toContain(sandboxId);
  });

  it("SIGTERM to its PID stops every service and frees the ports; the sandbox keeps running", async () => {
    await stopsCleanly(up!, "SIGTERM", true);
  });

  it("the next start re-adopts the running sandbox; SIGINT stops it cleanly too", async () => {
    up = await startUp();
    // The same key (same database), and this time only where it is.
    const key = (await readFile(join(dataDir, "api-key"), "utf8")).trim();
    expect(up.output()).toContain(`API key       in ${join(dataDir, "api-key")}`);
    expect(up.output()).not.toContain(key);
    const found = await api("GET", `/v1/sandboxes/${sandboxId}`);
    expect(found.json.sandbox?.status, JSON.stringify(found.json)).toBe("SANDBOX_STATUS_RUNNING");
    expect((await exec(sandboxId, "echo three")).trim()).toBe("three");
    // Nothing of this test may outlive it.
    await destroyAll();
    await stopsCleanly(up, "SIGINT", false);
  });
});
