import { stat } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createLogger } from "@wrenn/shared";
import { startPortTunnel, type PortTunnel } from "../../src/proxy/port-tunnel.js";
import type { PortReachState } from "../../src/sandbox/sandbox-manager.js";
import { getOver, tunnelTo } from "./tunnel-client.js";

/**
 * The tunnel module on its own, with sandboxes described by hand: a dial
 * "into a sandbox's namespace" whose recorded inode no longer matches (its
 * PID 1 is gone and the pid now belongs to something else, here the host
 * itself) is refused, and never reaches what listens there.
 */
const sandboxId = `sb-${"a".repeat(32)}`;
let reach: PortReachState | undefined;
let tunnel: PortTunnel;
let hostServer: Server;
let hostPort: number;
let accepted = 0;

beforeAll(async () => {
  hostServer = createServer((socket) => {
    accepted++;
    socket.on("error", () => {});
    socket.end("HTTP/1.0 200 OK\r\n\r\nthe host's own server\n");
  });
  await new Promise<void>((resolve) => hostServer.listen(0, "127.0.0.1", resolve));
  hostPort = (hostServer.address() as { port: number }).port;
  tunnel = await startPortTunnel({ listen: "127.0.0.1:0", lookup: () => reach, logger: createLogger("test", { level: "warn" }) });
});

afterAll(async () => {
  await tunnel?.close();
  hostServer?.close();
});

test("a namespace whose inode is not the recorded one is never dialled", async () => {
  const own = (await stat("/proc/self/ns/net")).ino;
  reach = { state: "running", ports: { kind: "netns", path: "/proc/self/ns/net", inode: own + 1 } };
  const refused = await tunnelTo(tunnel.address, sandboxId, hostPort);
  expect(refused.status).toBe(502);
  expect(refused.body).toContain("not the sandbox's network namespace");
  expect(accepted).toBe(0);

  // The same dial with the inode that is really there goes through: the check is what stopped it.
  tunnel.closeSandbox(sandboxId);
  reach = { state: "running", ports: { kind: "netns", path: "/proc/self/ns/net", inode: own } };
  const open = await tunnelTo(tunnel.address, sandboxId, hostPort);
  expect(open.status).toBe(200);
  expect(await getOver(open.socket, "/")).toContain("the host's own server");
  expect(accepted).toBe(1);
});

test("a starting sandbox is 409 and one without a reachable network is 502", async () => {
  reach = { state: "starting" };
  expect((await tunnelTo(tunnel.address, sandboxId, 80)).status).toBe(409);
  reach = { state: "running" };
  const unreachable = await tunnelTo(tunnel.address, sandboxId, 80);
  expect(unreachable.status).toBe(502);
  expect(unreachable.body).toContain(`sandbox ${sandboxId} has no network`);
});
