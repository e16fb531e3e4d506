import { existsSync } from "node:fs";
import { join } from "node:path";
import { createChannel, createClient } from "nice-grpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SandboxServiceDefinition } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { hostAgentSpecs, startStack, type ServiceName, type Stack } from "@wrenn/devstack";

/** True while `pid` exists (signal 0 checks without sending anything). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function hostId(address: string): Promise<string> {
  const channel = createChannel(address);
  try {
    return (await createClient(SandboxServiceDefinition, channel).getHostInfo({})).hostId;
  } finally {
    channel.close();
  }
}

describe("host agents' settings", () => {
  it("leave a single agent as it always was", () => {
    expect(hostAgentSpecs(1, "/d", { WRENN_NETWORK_PREFIX: "wmh" })).toEqual([{ name: "hostagent", dataDir: "/d/host", env: {} }]);
  });

  it("give each of several agents a name, data dir, prefix and eighth of the stack's pool of its own", () => {
    const specs = hostAgentSpecs(3, "/d", { WRENN_NETWORK_PREFIX: "wmh", WRENN_NETWORK_POOL: "10.246.0.0/16" });
    expect(specs.map((s) => [s.name, s.dataDir, s.env.WRENN_NETWORK_PREFIX, s.env.WRENN_NETWORK_POOL])).toEqual([
      ["hostagent", "/d/host", "wmh", "10.246.0.0/19"],
      ["hostagent-2", "/d/host-2", "wmh2", "10.246.32.0/19"],
      ["hostagent-3", "/d/host-3", "wmh3", "10.246.64.0/19"],
    ]);
    // The agent's defaults are shared out the same way; a 6-letter prefix keeps 5 letters.
    expect(hostAgentSpecs(8, "/d", {}).map((s) => s.env.WRENN_NETWORK_POOL).at(-1)).toBe("10.240.224.0/19");
    expect(hostAgentSpecs(2, "/d", { WRENN_NETWORK_PREFIX: "abcdef" })[1]!.env.WRENN_NETWORK_PREFIX).toBe("abcde2");
  });

  it("refuse a prefix or pool that cannot be shared out", () => {
    expect(() => hostAgentSpecs(2, "/d", { WRENN_NETWORK_PREFIX: "wrenn2" })).toThrow(/PREFIX wrenn2 cannot be shared out/);
    expect(() => hostAgentSpecs(2, "/d", { WRENN_NETWORK_POOL: "10.246.0.0/28" })).toThrow(/\/27 or larger/);
  });
});

// Real processes (tsx starts take seconds on a loaded machine), real PostgreSQL and Redis.
describe("a stack with three host agents", { timeout: 180_000 }, () => {
  let stack: Stack;
  let pids: number[] = [];
  beforeAll(async () => {
    stack = await startStack({ hostAgents: 3, hostagentEnv: { WRENN_NETWORK_PREFIX: "wmh", WRENN_NETWORK_POOL: "10.246.0.0/16" } });
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
  }, 120_000);

  it("runs every agent on ports and a data dir of its own, the first one as the stack's hostagent", async () => {
    expect(stack.hostAgents.map((a) => a.name)).toEqual(["hostagent", "hostagent-2", "hostagent-3"]);
    expect(stack.hostAgents[0]).toMatchObject({ address: stack.hostagentAddress, portProxyAddress: stack.portProxyAddress, dataDir: join(stack.dataDir, "host") });
    const addresses = stack.hostAgents.flatMap((a) => [a.address, a.portProxyAddress]);
    expect(new Set(addresses).size).toBe(6);
    const dataDirs = stack.hostAgents.map((a) => a.dataDir);
    expect(new Set(dataDirs).size).toBe(3);
    for (const dir of dataDirs) expect(existsSync(dir), dir).toBe(true);
    const ids = await Promise.all(stack.hostAgents.map((a) => hostId(a.address)));
    expect(ids.every((id) => id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(3);
  });

  it("restarts one agent on its own addresses, with the same host id", async () => {
    const before = stack.hostAgents[1]!;
    const idBefore = await hostId(before.address);
    const pidBefore = stack.services["hostagent-2"].pid;
    await stack.restart("hostagent-2", { signal: "SIGKILL" });
    expect(stack.services["hostagent-2"].pid).not.toBe(pidBefore);
    expect(stack.hostAgents[1]).toEqual(before);
    expect(await hostId(before.address)).toBe(idBefore);
    await expect(stack.restart("hostagent-4" as ServiceName)).rejects.toThrow(/no service hostagent-4/);
  });

  it("leaves no agent running and no data dir behind on close", async () => {
    pids = stack.hostAgents.map((a) => stack.services[a.name as ServiceName].pid!);
    await stack.close();
    for (const pid of pids) expect(running(pid), `pid ${pid}`).toBe(false);
    expect(existsSync(stack.dataDir)).toBe(false);
    stack = undefined as unknown as Stack;
  });
});
