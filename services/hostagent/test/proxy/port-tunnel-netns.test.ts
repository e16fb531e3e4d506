import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createLogger } from "@wrenn/shared";
import { cleanupStaleNetworks } from "../../src/network/index.js";
import { newSandboxId, startAgent, stopAgentAndSandboxes, type AgentProcess, testRuntimes as runtimes } from "../harness.js";
import { getThroughTunnel, startInSandbox } from "./sandbox-server.js";
import { closedBy, tunnelTo } from "./tunnel-client.js";

/**
 * The tunnel for sandboxes with a network of their own (netns + veth): the
 * agent dials the sandbox's address, which for a VM the host DNATs to the
 * guest, and envd forwards a loopback-only listener to that address. A
 * restarted agent (sandboxes kept) reaches the same servers, and a pause
 * cuts tunnels until the resume. Its own prefix
 * and pool keep it apart from any other agent on the machine.
 */
const prefix = "wtptn";
const imagesDir = process.env.WRENN_TEST_IMAGES_DIR ?? "/var/lib/wrenn/images";
const server = (port: number, host: string) => `require("http").createServer((q, s) => s.end("served " + q.url + " on ${port}")).listen(${port}, "${host}")`;

describe.each(runtimes)("port tunnel into sandboxes with a network on the %s runtime", (runtime) => {
  let agent: AgentProcess;
  let env: Record<string, string>;
  let dataDir: string;
  const startTimeoutMs = 900_000;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "wrenn-ha-tunnel-"));
    env = {
      WRENN_RUNTIME: runtime,
      WRENN_DATA_DIR: dataDir,
      WRENN_SANDBOX_NETWORK: "netns",
      WRENN_NETWORK_PREFIX: prefix,
      WRENN_NETWORK_POOL: "10.254.0.0/16",
      WRENN_SANDBOXES_ON_STOP: "keep",
      ...(runtime === "qemu" ? { WRENN_IMAGES_DIR: imagesDir } : {}),
    };
    agent = await startAgent(env, startTimeoutMs);
  }, startTimeoutMs);

  afterAll(async () => {
    if (agent) await stopAgentAndSandboxes(agent);
    await cleanupStaleNetworks({ logger: createLogger("test", { level: "warn" }), prefix });
    await rm(dataDir, { recursive: true, force: true });
  }, 120_000);

  test("servers on all interfaces and on loopback only answer through the tunnel, across an agent restart and a pause", async () => {
    const sandboxId = newSandboxId();
    await agent.sandboxes.createSandbox({ sandboxId, templateId: "base", startTimeoutSeconds: 300 });
    await startInSandbox(agent, sandboxId, "node", ["-e", server(8000, "0.0.0.0")]);
    await startInSandbox(agent, sandboxId, "node", ["-e", server(8001, "127.0.0.1")]);
    const tunnel = agent.service.addresses.get("port-proxy")!;
    expect(await getThroughTunnel(tunnel, sandboxId, 8000, "/a")).toContain("served /a on 8000");
    // envd's forwarder puts the loopback-only listener on the sandbox's address once its scan sees it.
    expect(await getThroughTunnel(tunnel, sandboxId, 8001, "/b")).toContain("served /b on 8001");
    const closed = await tunnelTo(tunnel, sandboxId, 8999);
    expect(closed.status).toBe(502);
    expect(closed.body).toContain(`port 8999 of sandbox ${sandboxId}`);

    // SIGTERM with WRENN_SANDBOXES_ON_STOP=keep, then a new agent on the same data dir adopts the sandbox.
    await agent.service.stop();
    agent.channel.close();
    agent = await startAgent(env, startTimeoutMs);
    const again = agent.service.addresses.get("port-proxy")!;
    expect(await getThroughTunnel(again, sandboxId, 8000, "/c")).toContain("served /c on 8000");
    expect(await getThroughTunnel(again, sandboxId, 8001, "/d")).toContain("served /d on 8001");

    // A paused VM is snapshotted (a frozen namespace sandbox frozen): open tunnels are cut, new ones refused at once.
    const open = await tunnelTo(again, sandboxId, 8000);
    expect(open.status).toBe(200);
    await agent.sandboxes.pauseSandbox({ sandboxId });
    await closedBy(open.socket);
    expect((await tunnelTo(again, sandboxId, 8000)).status).toBe(409);
    await agent.sandboxes.resumeSandbox({ sandboxId });
    expect(await getThroughTunnel(again, sandboxId, 8000, "/e")).toContain("served /e on 8000");
  }, 600_000);
});
