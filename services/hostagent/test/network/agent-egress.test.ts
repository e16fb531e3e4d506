import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ClientError, Status } from "nice-grpc";
import { EgressPolicy_Mode } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { createLogger } from "@wrenn/shared";
import { cleanupStaleNetworks } from "../../src/network/index.js";
import { exec, newSandboxId, startAgent, type AgentProcess } from "../harness.js";
import { inet, networkLeftovers, noLeftovers, sh, startFakeInternet, tcpReadCommand, type FakeInternet } from "./net-helpers.js";

/**
 * The wiring end to end: the agent's own config puts sandboxes in network
 * namespaces, and CreateSandbox's egress policy reaches the host firewall.
 * Its own prefix and pool keep it apart from any other agent on the machine.
 */
const prefix = "wtegr";
let agent: AgentProcess | undefined;
let internet: FakeInternet;

beforeAll(async () => {
  internet = await startFakeInternet();
  agent = await startAgent({ WRENN_SANDBOX_NETWORK: "netns", WRENN_NETWORK_PREFIX: prefix, WRENN_NETWORK_POOL: "10.252.0.0/16" });
}, 90_000);

afterAll(async () => {
  await agent?.stop();
  await internet?.stop();
  // Only if a test failed before the agent's own shutdown removed its table.
  await cleanupStaleNetworks({ logger: createLogger("test", { level: "warn" }), prefix });
});

async function reach(sandboxId: string, address: string): Promise<string> {
  const [cmd, ...args] = tcpReadCommand(address, inet.port);
  return (await exec(agent!, sandboxId, cmd, args)).stdout.trim();
}

describe("egress policy through the host agent API", () => {
  test("allow-all, deny-all and an allow-list are enforced per sandbox, and nothing is left after destroy", async () => {
    const open = newSandboxId();
    const closed = newSandboxId();
    const listed = newSandboxId();
    await agent!.sandboxes.createSandbox({ sandboxId: open, templateId: "base" });
    await agent!.sandboxes.createSandbox({ sandboxId: closed, templateId: "base", egress: { mode: EgressPolicy_Mode.MODE_DENY_ALL, allowedCidrs: [] } });
    await agent!.sandboxes.createSandbox({
      sandboxId: listed,
      templateId: "base",
      egress: { mode: EgressPolicy_Mode.MODE_ALLOW_LIST, allowedCidrs: [`${inet.primary}/32`] },
    });

    expect(await reach(open, inet.primary)).toContain("inet 198.18.0.1");
    expect(await reach(open, inet.secondary)).toContain("inet 198.19.0.1");
    expect(await reach(closed, inet.primary)).toBe("");
    expect(await reach(listed, inet.primary)).toContain("inet 198.18.0.1");
    expect(await reach(listed, inet.secondary)).toBe("");

    for (const id of [open, closed, listed]) await agent!.sandboxes.destroySandbox({ sandboxId: id });
    // The agent keeps its (empty) host table while it runs; sandbox chains, links and namespaces are gone.
    const left = await networkLeftovers(prefix);
    expect({ namespaces: left.namespaces, links: left.links, chains: left.chains }).toEqual({
      namespaces: noLeftovers.namespaces,
      links: noLeftovers.links,
      chains: noLeftovers.chains,
    });
  });

  test("a malformed allow-list is INVALID_ARGUMENT naming the entry, and leaves nothing behind", async () => {
    const id = newSandboxId();
    const err = await agent!.sandboxes
      .createSandbox({ sandboxId: id, templateId: "base", egress: { mode: EgressPolicy_Mode.MODE_ALLOW_LIST, allowedCidrs: ["198.18.0.1/24"] } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe(Status.INVALID_ARGUMENT);
    expect((err as ClientError).details).toContain("198.18.0.1/24");
    expect((await networkLeftovers(prefix)).namespaces).toEqual([]);
  });

  test("a stopped agent leaves no table in the host firewall", async () => {
    await agent!.stop();
    agent = undefined;
    expect(await sh("nft list tables")).not.toContain(`inet ${prefix}\n`);
  });
});
