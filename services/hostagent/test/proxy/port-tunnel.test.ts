import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { exec, newSandboxId, startAgent, type AgentProcess } from "../harness.js";
import { getThroughTunnel, startInSandbox } from "./sandbox-server.js";
import { closedBy, getOver, sendRaw, tunnelTo } from "./tunnel-client.js";

/**
 * The host agent's port tunnel against real namespace sandboxes without an
 * outside network (the test stacks' default): the agent dials their ports
 * from inside their network namespace. What the controlplane's port proxy
 * sees: CONNECT answers, bytes through, and tunnels cut when a sandbox goes.
 */
let agent: AgentProcess;
let tunnel: string;
let sandboxId: string;

beforeAll(async () => {
  agent = await startAgent();
  tunnel = agent.service.addresses.get("port-proxy")!;
  sandboxId = newSandboxId();
  await agent.sandboxes.createSandbox({ sandboxId, templateId: "base" });
  await exec(agent, sandboxId, "sh", ["-c", "mkdir -p /tmp/site && echo 'hello through the tunnel' > /tmp/site/greeting.txt"]);
  await startInSandbox(agent, sandboxId, "python3", ["-m", "http.server", "8000"], "/tmp/site");
  // Loopback only: reached all the same (the dial happens inside the sandbox's namespace).
  await startInSandbox(agent, sandboxId, "python3", ["-m", "http.server", "8001", "--bind", "127.0.0.1"], "/tmp/site");
}, 60_000);

afterAll(async () => {
  await agent?.stop();
});

describe("port tunnel", () => {
  test("GetHostInfo advertises the tunnel's address", async () => {
    const info = await agent.sandboxes.getHostInfo({});
    expect(info.portProxyAddress).toBe(tunnel);
  });

  test("a python http.server in the sandbox answers through CONNECT, on all interfaces and on loopback only", async () => {
    const listing = await getThroughTunnel(tunnel, sandboxId, 8000, "/");
    expect(listing).toMatch(/^HTTP\/1\.0 200/);
    expect(listing).toContain("greeting.txt");
    const file = await getThroughTunnel(tunnel, sandboxId, 8001, "/greeting.txt");
    expect(file).toContain("hello through the tunnel");
  });

  test("bytes the client sent with its CONNECT reach the server", async () => {
    await getThroughTunnel(tunnel, sandboxId, 8000);
    const reply = await sendRaw(tunnel, `CONNECT ${sandboxId}:8000 HTTP/1.1\r\n\r\nGET /greeting.txt HTTP/1.0\r\n\r\n`);
    expect(reply.status).toBe(200);
    expect(await getOver(reply.socket, "/ignored")).toContain("hello through the tunnel");
  });

  test("a port nobody listens on is a 502 naming the sandbox and the port", async () => {
    const reply = await tunnelTo(tunnel, sandboxId, 8999);
    expect(reply.status).toBe(502);
    expect(reply.body).toContain(sandboxId);
    expect(reply.body).toContain("8999");
  });

  test("an unknown sandbox is a 404", async () => {
    const other = newSandboxId();
    const reply = await tunnelTo(tunnel, other, 8000);
    expect(reply.status).toBe(404);
    expect(reply.body).toContain(other);
  });

  test("malformed or hostile requests get an answer and leave the agent serving", async () => {
    const statuses = await Promise.all([
      sendRaw(tunnel, "CONNECT example.com:443 HTTP/1.1\r\n\r\n"),
      sendRaw(tunnel, `CONNECT ${sandboxId}:0 HTTP/1.1\r\n\r\n`),
      sendRaw(tunnel, `CONNECT ${sandboxId}:65536 HTTP/1.1\r\n\r\n`),
      sendRaw(tunnel, `CONNECT ${sandboxId.toUpperCase()}:8000 HTTP/1.1\r\n\r\n`),
      sendRaw(tunnel, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
      sendRaw(tunnel, "\x00\x01\x02 garbage\r\n\r\n"),
      sendRaw(tunnel, `CONNECT ${sandboxId}:8000 HTTP/1.1\r\nX-Big: ${"a".repeat(64 * 1024)}\r\n\r\n`),
      sendRaw(tunnel, `CONNECT /${"b".repeat(100_000)} HTTP/1.1\r\n\r\n`),
    ]).then((replies) => replies.map((r) => r.status));
    expect(statuses).toEqual([400, 400, 400, 400, 405, 400, 431, 431]);
    expect((await getThroughTunnel(tunnel, sandboxId, 8000, "/greeting.txt")).includes("hello through the tunnel")).toBe(true);
  });

  test("a client that never finishes its request line is cut off (no slowloris)", async () => {
    const reply = sendRaw(tunnel, `CONNECT ${sandboxId}:80`);
    await expect(reply).resolves.toMatchObject({ status: 408 });
  }, 30_000);

  test("a paused sandbox is a 409 at once, its open tunnels are cut, and it is reachable again after resume", async () => {
    const open = await tunnelTo(tunnel, sandboxId, 8000);
    expect(open.status).toBe(200);
    await agent.sandboxes.pauseSandbox({ sandboxId });
    await closedBy(open.socket);
    const refused = await tunnelTo(tunnel, sandboxId, 8000);
    expect(refused.status).toBe(409);
    expect(refused.body).toContain(sandboxId);
    await agent.sandboxes.resumeSandbox({ sandboxId });
    expect(await getThroughTunnel(tunnel, sandboxId, 8000, "/greeting.txt")).toContain("hello through the tunnel");
  });

  test("destroying the sandbox cuts its tunnels; then it is a 404", async () => {
    const doomed = newSandboxId();
    await agent.sandboxes.createSandbox({ sandboxId: doomed, templateId: "base" });
    await startInSandbox(agent, doomed, "python3", ["-m", "http.server", "8000"]);
    await getThroughTunnel(tunnel, doomed, 8000);
    const open = await tunnelTo(tunnel, doomed, 8000);
    expect(open.status).toBe(200);
    await agent.sandboxes.destroySandbox({ sandboxId: doomed });
    await closedBy(open.socket);
    expect((await tunnelTo(tunnel, doomed, 8000)).status).toBe(404);
  });
});
