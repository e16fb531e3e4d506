import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EgressPolicy_Mode } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { createLogger } from "@wrenn/shared";
import { cleanupStaleNetworks } from "../../src/network/index.js";
import { exec, newSandboxId, sandboxPidOf, startAgent, type AgentProcess, testRuntimes as runtimes } from "../harness.js";
import { freeLoopbackPort as freePort } from "../../src/runtime/qemu/network.js";
import { inet, networkLeftovers, noLeftovers, sh, startFakeInternet, tcpReadCommand, type FakeInternet } from "./net-helpers.js";

/**
 * Networks survive a restart of the agent with their sandboxes: the
 * namespace, the address (never handed out again while the sandbox lives),
 * the firewall chain with the sandbox's egress policy and the host table.
 * Both runtimes (QEMU: the VM on its TAP inside the namespace); its own
 * prefix and pool.
 */
const prefix = "wtrst";
const imagesDir = process.env.WRENN_TEST_IMAGES_DIR ?? "/var/lib/wrenn/images";
let agent: AgentProcess | undefined;
let internet: FakeInternet;
let env: Record<string, string>;
let dataDir: string;

beforeAll(async () => {
  internet = await startFakeInternet();
}, 90_000);

afterAll(async () => {
  await internet?.stop();
});

async function reach(sandboxId: string, address: string): Promise<string> {
  const [cmd, ...args] = tcpReadCommand(address, inet.port);
  return (await exec(agent!, sandboxId, cmd, args)).stdout.trim();
}

/** The sandbox's address on its link to the host (its namespace's eth0; every VM guest has the same address inside). */
function netnsOf(sandboxId: string): string {
  return `${prefix}-${createHash("sha256").update(sandboxId).digest("hex").slice(0, 8)}`;
}

async function addressOf(sandboxId: string): Promise<string> {
  const out = await sh(`ip -n ${netnsOf(sandboxId)} -o -4 addr show dev eth0`);
  return /inet (\d+\.\d+\.\d+\.\d+)/.exec(out)?.[1] ?? "";
}

async function restart(how: "SIGKILL" | "SIGTERM"): Promise<void> {
  if (how === "SIGKILL") {
    const exited = new Promise((resolve) => agent!.child.once("exit", resolve));
    agent!.child.kill("SIGKILL");
    await exited;
    agent!.channel.close();
  } else {
    await agent!.stop();
  }
  agent = await startAgent(env, 900_000);
}

describe.each(runtimes)("sandbox networks across agent restarts on the %s runtime", (runtime) => {
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "wrenn-ha-netrestart-"));
    env = {
      WRENN_RUNTIME: runtime,
      ...(runtime === "qemu" ? { WRENN_IMAGES_DIR: imagesDir } : {}),
      WRENN_SANDBOX_NETWORK: "netns",
      WRENN_NETWORK_PREFIX: prefix,
      WRENN_NETWORK_POOL: "10.253.0.0/16",
      WRENN_DATA_DIR: dataDir,
      WRENN_HOSTAGENT_LISTEN: `127.0.0.1:${await freePort()}`,
      WRENN_SANDBOXES_ON_STOP: "keep",
    };
    agent = await startAgent(env, 900_000);
  }, 900_000);

  afterAll(async () => {
    if (agent) {
      for (const { sandboxId } of (await agent.sandboxes.listSandboxes({})).sandboxes) await agent.sandboxes.destroySandbox({ sandboxId }).catch(() => {});
      await agent.stop();
      agent = undefined;
    }
    await cleanupStaleNetworks({ logger: createLogger("test", { level: "warn" }), prefix });
    await rm(dataDir, { recursive: true, force: true });
  });

  test("egress policies, addresses and the host table survive kill -9 and SIGTERM; a new sandbox gets a new address", async () => {
    const closed = newSandboxId();
    const listed = newSandboxId();
    await agent!.sandboxes.createSandbox({ sandboxId: closed, templateId: "base", startTimeoutSeconds: 300, egress: { mode: EgressPolicy_Mode.MODE_DENY_ALL, allowedCidrs: [] } });
    await agent!.sandboxes.createSandbox({ sandboxId: listed, templateId: "base", startTimeoutSeconds: 300, egress: { mode: EgressPolicy_Mode.MODE_ALLOW_LIST, allowedCidrs: [`${inet.primary}/32`] } });
    const addresses = [await addressOf(closed), await addressOf(listed)];
    expect(await reach(listed, inet.primary)).toContain("inet 198.18.0.1");

    for (const how of ["SIGKILL", "SIGTERM"] as const) {
      await restart(how);
      expect(await sh("nft list tables")).toContain(`inet ${prefix}\n`);
      expect(await reach(closed, inet.primary), `deny-all still holds after ${how}`).toBe("");
      expect(await reach(listed, inet.primary), `the allow-list still allows after ${how}`).toContain("inet 198.18.0.1");
      expect(await reach(listed, inet.secondary), `the allow-list still denies after ${how}`).toBe("");
      expect([await addressOf(closed), await addressOf(listed)]).toEqual(addresses);
      expect((await networkLeftovers(prefix)).chains.length).toBe(2);
      // The bandwidth cap is still on the host end of each link.
      for (const id of [closed, listed]) expect(await sh(`tc qdisc show dev ${netnsOf(id)}`)).toMatch(/tbf .*rate 200Mbit/);
    }

    const fresh = newSandboxId();
    await agent!.sandboxes.createSandbox({ sandboxId: fresh, templateId: "base", startTimeoutSeconds: 300 });
    expect(addresses).not.toContain(await addressOf(fresh));
    expect(await reach(fresh, inet.secondary)).toContain("inet 198.19.0.1");

    // One dies while the agent is down: its network goes at the next start, the others stay.
    const exited = new Promise((resolve) => agent!.child.once("exit", resolve));
    agent!.child.kill("SIGKILL");
    await exited;
    agent!.channel.close();
    process.kill((await sandboxPidOf(closed))!, "SIGKILL");
    agent = await startAgent(env, 900_000);
    expect((await networkLeftovers(prefix)).namespaces.length).toBe(2);
    expect((await networkLeftovers(prefix)).chains.length).toBe(2);
    expect(await reach(listed, inet.secondary)).toBe("");

    for (const id of [listed, fresh]) await agent!.sandboxes.destroySandbox({ sandboxId: id });
    const left = await networkLeftovers(prefix);
    expect({ namespaces: left.namespaces, links: left.links, chains: left.chains }).toEqual({ namespaces: noLeftovers.namespaces, links: noLeftovers.links, chains: noLeftovers.chains });
  }, 600_000);
});
