import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClient, type Channel } from "nice-grpc";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { SandboxServiceDefinition, type SandboxServiceClient } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { adminSessionCookie } from "../harness/admin-session.js";

/**
 * One controlplane over three real host agents (each with its own data dir,
 * ports, network prefix and pool): where sandboxes land, read from each
 * agent's own list, and what happens when one agent is killed and restarted.
 */
let stack: Stack;
let client: WrennClient;
const agents: { name: string; channel: Channel; api: SandboxServiceClient }[] = [];
const previousHeartbeat = process.env.WRENN_HOST_HEARTBEAT_MS;

beforeAll(async () => {
  // Heartbeats every 500 ms: a killed agent is noticed, and a restarted one back, within about a second.
  process.env.WRENN_HOST_HEARTBEAT_MS = "500";
  stack = await startStack({
    hostAgents: 3,
    sandboxesOnStop: "keep",
    hostagentEnv: { WRENN_NETWORK_PREFIX: "wpl", WRENN_NETWORK_POOL: "10.249.0.0/16" },
  });
  client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
  for (const agent of stack.hostAgents) {
    const channel = createChannel(agent.address);
    agents.push({ name: agent.name, channel, api: createClient(SandboxServiceDefinition, channel) });
  }
}, 240_000);

afterAll(async () => {
  client?.close();
  for (const agent of agents) agent.channel.close();
  await stack?.close();
  if (previousHeartbeat === undefined) delete process.env.WRENN_HOST_HEARTBEAT_MS;
  else process.env.WRENN_HOST_HEARTBEAT_MS = previousHeartbeat;
}, 120_000);

/** Which agent runs each sandbox, by the agents' own lists ("sb-…" ids); `down` names an agent known not to answer. */
async function placement(down?: string): Promise<Map<string, string>> {
  const where = new Map<string, string>();
  for (const agent of agents) {
    if (agent.name === down) continue;
    const { sandboxes } = await agent.api.listSandboxes({}, { signal: AbortSignal.timeout(10_000) });
    for (const sandbox of sandboxes) where.set(sandbox.sandboxId, agent.name);
  }
  return where;
}

async function hostStates(): Promise<string[]> {
  const response = await fetch(`${stack.httpUrl}/v1/admin/hosts`, { headers: { cookie: await adminSessionCookie(stack) } });
  const { hosts } = (await response.json()) as { hosts: { status: string; address: string }[] };
  return stack.hostAgents.map((agent) => hosts.find((host) => host.address === agent.address)?.status ?? "absent");
}

describe("a controlplane over three host agents", () => {
  const created: string[] = [];

  it("registers all three, and spreads sandboxes over them", async () => {
    await expect.poll(hostStates, { timeout: 10_000 }).toEqual(["online", "online", "online"]);
    for (let i = 0; i < 6; i++) created.push((await client.sandboxes.createSandbox({ waitReady: true })).sandbox!.sandboxId);
    const where = await placement();
    const perAgent = stack.hostAgents.map((agent) => created.filter((id) => where.get(id) === agent.name).length);
    expect(perAgent, "sandboxes on each agent").toEqual([2, 2, 2]);
    // Each answers on whichever host it landed.
    for (const id of created) expect((await client.run(id, "echo", ["here"])).stdout).toBe("here\n");
  });

  it("places around a killed agent, which shows unreachable, and takes it back once restarted, its sandboxes running", async () => {
    const where = await placement();
    const onThird = created.filter((id) => where.get(id) === "hostagent-3");
    await stack.services["hostagent-3"].halt("SIGKILL");
    await expect.poll(hostStates, { timeout: 15_000 }).toEqual(["online", "online", "unreachable"]);
    const more = [];
    for (let i = 0; i < 3; i++) more.push((await client.sandboxes.createSandbox({ waitReady: true })).sandbox!.sandboxId);
    const after = await placement("hostagent-3");
    expect(more.map((id) => after.get(id)).every((name) => name === "hostagent" || name === "hostagent-2")).toBe(true);

    await stack.services["hostagent-3"].start();
    await expect.poll(hostStates, { timeout: 20_000 }).toEqual(["online", "online", "online"]);
    for (const id of onThird) {
      expect((await client.sandboxes.getSandbox({ sandboxId: id })).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
      expect((await client.run(id, "echo", ["back"])).stdout).toBe("back\n");
    }
    // Back, it is a place for new sandboxes again: the next create goes to the host with fewest.
    const next = (await client.sandboxes.createSandbox({ waitReady: true })).sandbox!.sandboxId;
    await expect.poll(async () => (await placement()).get(next), { timeout: 10_000 }).toBe("hostagent-3");
    for (const id of [...created, ...more, next]) await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
  });
});
