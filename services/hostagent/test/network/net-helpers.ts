import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:net";
import { promisify } from "node:util";

const exec = promisify(execFile);

/**
 * A fake "internet" for egress tests: namespace wrenn-test-inet, linked to the
 * host by a veth (host wtinet0 198.18.0.2/24, namespace 198.18.0.1/24) with a
 * second address 198.19.0.1 routed through it, and a TCP server on port 7000
 * that answers "inet <local address> from <peer address>" and closes.
 * (Its names do not match the agent's `wrenn-<8 hex>` pattern, so the
 * provider never treats it as a sandbox.)
 */
/**
 * Names and addresses of these tests' own, apart from a platform running on
 * the same machine (`wrenn`, 10.240.0.0/16) and from other test files' agents.
 */
export const testNet = { prefix: "wtnet", pool: "10.250.0.0/16" };

export const inet = { netns: "wrenn-test-inet", hostIf: "wtinet0", primary: "198.18.0.1", secondary: "198.19.0.1", port: 7000 };

export interface FakeInternet {
  stop(): Promise<void>;
}

// Port 7000 greets, 7001 counts what it receives (replies with the count), 7002 sends 1 MB.
const serverCode = `
const net = require("node:net");
net.createServer((s) => { s.end("inet " + s.localAddress + " from " + s.remoteAddress + "\\n"); s.on("error", () => {}); })
  .listen(${inet.port}, "0.0.0.0", () => console.log("ready"));
net.createServer((s) => { let n = 0; s.on("data", (c) => (n += c.length)); s.on("end", () => s.end(String(n))); s.on("error", () => {}); })
  .listen(${inet.port + 1}, "0.0.0.0");
net.createServer((s) => { s.on("error", () => {}); s.end(Buffer.alloc(1000000)); }).listen(${inet.port + 2}, "0.0.0.0");
`;

export async function startFakeInternet(): Promise<FakeInternet> {
  await removeFakeInternet();
  await sh(`
    ip netns add ${inet.netns}
    ip link add ${inet.hostIf} type veth peer name eth0 netns ${inet.netns}
    ip addr add 198.18.0.2/24 dev ${inet.hostIf}
    ip link set ${inet.hostIf} up
    ip route add 198.19.0.0/24 via ${inet.primary} dev ${inet.hostIf}
    ip -n ${inet.netns} link set lo up
    ip -n ${inet.netns} addr add ${inet.primary}/24 dev eth0
    ip -n ${inet.netns} addr add ${inet.secondary}/32 dev lo
    ip -n ${inet.netns} link set eth0 up
    ip -n ${inet.netns} route add default via 198.18.0.2
  `);
  const server: ChildProcess = spawn("ip", ["netns", "exec", inet.netns, process.execPath, "-e", serverCode], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    server.once("exit", (code) => reject(new Error(`fake internet server exited (${code})`)));
    server.stdout!.once("data", () => resolve());
  });
  return {
    async stop() {
      server.kill("SIGKILL");
      await new Promise((r) => (server.exitCode !== null || server.signalCode !== null ? r(null) : server.once("exit", r)));
      await removeFakeInternet();
    },
  };
}

async function removeFakeInternet(): Promise<void> {
  await sh(`ip link del ${inet.hostIf} 2>/dev/null || true; ip netns del ${inet.netns} 2>/dev/null || true`);
}

export async function sh(script: string): Promise<string> {
  const { stdout } = await exec("/bin/sh", ["-ec", script]);
  return stdout;
}

/** A TCP server in the test process that answers "host" (to prove the sandbox cannot reach host services). */
export async function startHostServer(host: string): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    socket.on("error", () => {});
    socket.end("host\n");
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as { port: number }).port,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * The shell line a sandbox runs to open a TCP connection and print what the
 * server says; prints nothing (and fails) when the connection is refused,
 * rejected or times out.
 */
export function tcpReadCommand(address: string, port: number, timeoutSeconds = 3): string[] {
  return ["timeout", String(timeoutSeconds), "bash", "-c", `cat < /dev/tcp/${address}/${port}`];
}

/** Runs tcpReadCommand inside a namespace with `ip netns exec` (the view of the namespace runtime's sandboxes). */
export async function readFromNetns(netns: string, address: string, port: number): Promise<string> {
  try {
    const { stdout } = await exec("ip", ["netns", "exec", netns, ...tcpReadCommand(address, port)]);
    return stdout.trim();
  } catch (err) {
    return ((err as { stdout?: string }).stdout ?? "").trim();
  }
}

/** Everything of ours a sandbox network can leave behind, by name. */
export async function networkLeftovers(prefix = testNet.prefix): Promise<{ namespaces: string[]; links: string[]; chains: string[]; elements: string }> {
  const ours = new RegExp(`^${prefix}-[0-9a-f]{8}$`);
  const namespaces = (await sh("ip netns list")).split("\n").map((l) => l.split(" ")[0] ?? "").filter((n) => ours.test(n));
  const links = (JSON.parse(await sh("ip -j link show")) as Array<{ ifname: string }>).map((l) => l.ifname).filter((n) => ours.test(n));
  const table = await sh(`nft list table inet ${prefix} 2>/dev/null || true`);
  const chains = [...table.matchAll(/chain (sb-[0-9a-f]+)/g)].map((m) => m[1]!);
  const elements = /elements = \{([^}]*)\}/.exec(table)?.[1]?.trim() ?? "";
  return { namespaces, links, chains, elements };
}

export const noLeftovers = { namespaces: [], links: [], chains: [], elements: "" };

/** Runs a Node script inside a namespace and returns its stdout (empty on failure). */
export async function nodeInNetns(netns: string, code: string, timeoutMs = 15_000): Promise<string> {
  try {
    const { stdout } = await exec("ip", ["netns", "exec", netns, process.execPath, "-e", code], { timeout: timeoutMs });
    return stdout.trim();
  } catch (err) {
    return ((err as { stdout?: string }).stdout ?? "").trim();
  }
}
