import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readdir, readFile } from "node:fs/promises";
import { createChannel, createClient, type Channel } from "nice-grpc";
import { Redis } from "ioredis";
import { createWrennClient, ExpiryAction, SandboxStatus, type WrennClient } from "@wrenn/client";
import { SandboxServiceDefinition as HostSandboxServiceDefinition } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { startStack, type Stack } from "@wrenn/devstack";

let stack: Stack;
let client: WrennClient;
let hostChannel: Channel;
const previousInterval = process.env.WRENN_RECONCILE_INTERVAL_MS;

beforeAll(async () => {
  // startStack passes the environment through: a short reconcile interval keeps the test quick.
  process.env.WRENN_RECONCILE_INTERVAL_MS = "1000";
  stack = await startStack();
  client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
  hostChannel = createChannel(stack.hostagentAddress);
});

afterAll(async () => {
  if (previousInterval === undefined) delete process.env.WRENN_RECONCILE_INTERVAL_MS;
  else process.env.WRENN_RECONCILE_INTERVAL_MS = previousInterval;
  hostChannel?.close();
  client?.close();
  await stack?.close();
});

async function statusOf(id: string) {
  return (await client.sandboxes.getSandbox({ sandboxId: id })).sandbox!;
}

function becomes(id: string, wanted: SandboxStatus[], timeoutMs = 30_000) {
  return vi.waitFor(
    async () => {
      const sandbox = await statusOf(id);
      if (wanted.includes(sandbox.status)) return sandbox;
      throw new Error(`sandbox ${id} is ${SandboxStatus[sandbox.status]}, waiting for ${wanted.map((s) => SandboxStatus[s]).join(" or ")}`);
    },
    { timeout: timeoutMs, interval: 100 },
  );
}

/** Host events the controlplane published to the lifecycle stream for a sandbox. */
async function hostEventsOf(sandboxId: string): Promise<string[]> {
  const redis = new Redis(process.env.REDIS_URL!);
  try {
    const entries = await redis.xrange("wrenn:sandbox-events", "-", "+");
    return entries
      .map(([, fields]) => JSON.parse(fields[fields.indexOf("event") + 1]))
      // Events name the sandbox by UUID, the API by "sb-" and its hex digits.
      .filter((e) => String(e.sandboxId).replaceAll("-", "") === sandboxId.slice(3) && e.type === "sandbox.host-event")
      .map((e) => e.hostEvent as string);
  } finally {
    redis.disconnect();
  }
}

/** The bwrap process holding the sandbox: the host agent passes `--hostname <sandbox id>`. */
async function bwrapPidOf(sandboxId: string): Promise<number | undefined> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (!args[0]?.endsWith("bwrap")) continue;
    const at = args.indexOf("--hostname");
    if (at >= 0 && args[at + 1] === sandboxId) return Number(entry);
  }
  return undefined;
}

describe("what the host does on its own reaches the controlplane", () => {
  it("a timeout with on_expiry pause leaves the sandbox PAUSED without any call, and it resumes", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ waitReady: true, timeoutSeconds: 2, onExpiry: ExpiryAction.EXPIRY_ACTION_PAUSE });
    expect(sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    const paused = await becomes(sandbox!.sandboxId, [SandboxStatus.SANDBOX_STATUS_PAUSED]);
    expect(paused.error).toBe("");
    // It came from the host's own event, not from a reconcile.
    expect(await hostEventsOf(sandbox!.sandboxId)).toContain("auto-paused");
    const resumed = await client.sandboxes.resumeSandbox({ sandboxId: sandbox!.sandboxId, wait: true, timeoutSeconds: 600 });
    expect(resumed.sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    expect((await client.run(sandbox!.sandboxId, "echo", ["back"])).stdout).toBe("back\n");
    await client.sandboxes.destroySandbox({ sandboxId: sandbox!.sandboxId, wait: true });
  });

  it("a timeout with on_expiry kill leaves the sandbox STOPPED", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ waitReady: true, timeoutSeconds: 2, onExpiry: ExpiryAction.EXPIRY_ACTION_KILL });
    await becomes(sandbox!.sandboxId, [SandboxStatus.SANDBOX_STATUS_STOPPED]);
    expect(await hostEventsOf(sandbox!.sandboxId)).toContain("ttl-killed");
  });

  it("a sandbox whose process is killed from outside shows as stopped or error, with the reason", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ waitReady: true });
    const id = sandbox!.sandboxId;
    const pid = await bwrapPidOf(id);
    expect(pid, "the sandbox's bwrap process").toBeDefined();
    process.kill(pid!, "SIGKILL");
    const after = await becomes(id, [SandboxStatus.SANDBOX_STATUS_ERROR, SandboxStatus.SANDBOX_STATUS_STOPPED]);
    if (after.status === SandboxStatus.SANDBOX_STATUS_ERROR) expect(after.error).toMatch(/exited unexpectedly/);
    expect(await hostEventsOf(id)).toContain("exited");
  });

  it("a sandbox destroyed behind the controlplane's back becomes MISSING after a reconcile", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ waitReady: true });
    const id = sandbox!.sandboxId;
    const host = createClient(HostSandboxServiceDefinition, hostChannel);
    await host.destroySandbox({ sandboxId: id });
    const missing = await becomes(id, [SandboxStatus.SANDBOX_STATUS_MISSING], 20_000);
    expect(missing.error).toBe("the host no longer has the sandbox");
    // A missing sandbox can still be destroyed, and then it is stopped.
    const destroyed = await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
    expect(destroyed.sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
  });

  it("a sandbox the host runs but the database does not know (a zombie) is destroyed on the host", async () => {
    const host = createClient(HostSandboxServiceDefinition, hostChannel);
    const zombie = `sb-${"0".repeat(24)}${Date.now().toString(16).padStart(8, "0").slice(-8)}`;
    await host.createSandbox({ sandboxId: zombie, templateId: "base", startTimeoutSeconds: 60 });
    await expect
      .poll(async () => (await host.listSandboxes({})).sandboxes.map((s) => s.sandboxId), { timeout: 20_000, message: "the sandboxes on the host (the zombie to be destroyed)" })
      .not.toContain(zombie);
  });
});
