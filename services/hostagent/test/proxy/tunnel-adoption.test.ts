import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { newSandboxId, startAgent, stopAgentAndSandboxes, type AgentProcess } from "../harness.js";
import { getThroughTunnel, startInSandbox } from "./sandbox-server.js";
import { closedBy, tunnelTo } from "./tunnel-client.js";

/**
 * A sandbox without an outside network, adopted by a restarted agent: the
 * new agent finds its network namespace again (through the sandbox's PID 1
 * in its record) and reaches its server, and a paused one is still 409.
 */
let agent: AgentProcess;
let env: Record<string, string>;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "wrenn-ha-tunnel-adopt-"));
  env = { WRENN_DATA_DIR: dataDir, WRENN_SANDBOXES_ON_STOP: "keep" };
  agent = await startAgent(env);
});

afterAll(async () => {
  if (agent) await stopAgentAndSandboxes(agent);
  await rm(dataDir, { recursive: true, force: true });
}, 60_000);

test("after a restart the tunnel reaches a kept sandbox's server, a paused one is 409, and an old tunnel ends with the old agent", async () => {
  const running = newSandboxId();
  const paused = newSandboxId();
  for (const sandboxId of [running, paused]) await agent.sandboxes.createSandbox({ sandboxId, templateId: "base" });
  // Served from / of the sandbox: after the restart its files must still be there (the template root under it kept).
  await startInSandbox(agent, running, "python3", ["-m", "http.server", "8000"], "/");
  const before = agent.service.addresses.get("port-proxy")!;
  await getThroughTunnel(before, running, 8000);
  const open = await tunnelTo(before, running, 8000);
  expect(open.status).toBe(200);
  await agent.sandboxes.pauseSandbox({ sandboxId: paused });

  await agent.service.stop();
  agent.channel.close();

  await closedBy(open.socket);
  agent = await startAgent(env);
  const after = agent.service.addresses.get("port-proxy")!;
  expect(await getThroughTunnel(after, running, 8000, "/etc/hostname")).toContain(running);
  expect(await getThroughTunnel(after, running, 8000, "/etc/os-release")).toMatch(/^HTTP\/1\.0 200/);
  expect((await tunnelTo(after, paused, 8000)).status).toBe(409);
  await agent.sandboxes.resumeSandbox({ sandboxId: paused });
  await startInSandbox(agent, paused, "python3", ["-m", "http.server", "8000"]);
  expect(await getThroughTunnel(after, paused, 8000, "/")).toMatch(/^HTTP\/1\.0 200/);
});
