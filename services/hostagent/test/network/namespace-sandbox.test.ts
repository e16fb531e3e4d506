import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createLogger, toWireId } from "@wrenn/shared";
import { cleanupStaleNetworks, createNamespaceNetworkProvider, type EgressPolicy, type NamespaceSandboxNetwork } from "../../src/network/index.js";
import { bwrapArgs } from "../../src/runtime/namespace/bwrap-args.js";
import { mountOverlay, unmountAllUnder } from "../../src/runtime/namespace/mounts.js";
import { netnsWrap, spawnSandboxProcess, type SandboxProcess } from "../../src/runtime/namespace/sandbox-process.js";
import { buildBaseTemplate } from "../../src/runtime/namespace/template-root.js";
import { envdBundle } from "../harness.js";
import { guestClient, type GuestClient } from "../qemu/guest-helpers.js";
import { inet, networkLeftovers, testNet, noLeftovers, startFakeInternet, startHostServer, tcpReadCommand, type FakeInternet } from "./net-helpers.js";

/**
 * Namespace-runtime sandboxes (bwrap + envd over its unix socket, exactly as
 * the runtime starts them) inside a prepared network namespace.
 */
const logger = createLogger("network-test", { level: process.env.WRENN_LOG_LEVEL ?? "warn" });
const provider = createNamespaceNetworkProvider({ logger, ...testNet });
let internet: FakeInternet;
let workDir: string;
let templateRoot: string;

interface TestSandbox {
  id: string;
  net: NamespaceSandboxNetwork;
  envd: GuestClient;
  stop(): Promise<void>;
}
const sandboxes: TestSandbox[] = [];

beforeAll(async () => {
  await cleanupStaleNetworks({ logger, prefix: testNet.prefix });
  internet = await startFakeInternet();
  workDir = await mkdtemp(join(tmpdir(), "wrenn-nsnet-"));
  templateRoot = await buildBaseTemplate(join(workDir, "templates"), logger);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(sandboxes.map((s) => s.stop()));
  await internet?.stop();
  // The host table outlives sandboxes while an agent runs; a test leaves the host as it found it.
  await cleanupStaleNetworks({ logger, prefix: testNet.prefix });
  if (workDir) {
    await unmountAllUnder(workDir);
    await rm(workDir, { recursive: true, force: true });
  }
});

/** What the namespace runtime's create does, with the network provider wired in. */
async function startSandbox(egress?: EgressPolicy): Promise<TestSandbox> {
  const id = toWireId("sb", randomUUID());
  const started = performance.now();
  const net = await (egress ? provider.networks.acquire(id, { egress }) : provider(id));
  const dir = join(workDir, id.slice(0, 12));
  for (const sub of ["upper", "work", "rootfs", "run"]) await mkdir(join(dir, sub), { recursive: true });
  await mountOverlay({ lower: templateRoot, upper: join(dir, "upper"), work: join(dir, "work"), target: join(dir, "rootfs") });
  const args = bwrapArgs({ rootfs: join(dir, "rootfs"), runDir: join(dir, "run"), envdBundle, hostname: "sb", nodePath: "/usr/bin/node", joinNetns: true });
  const proc: SandboxProcess = spawnSandboxProcess(id, args, logger, [], netnsWrap(net.netnsPath));
  const socket = join(dir, "run", "envd.sock");
  for (let i = 0; !(await stat(socket).then((s) => s.isSocket(), () => false)); i++) {
    if (proc.hasExited() || i > 400) throw new Error(`sandbox did not start: ${(await proc.exited).outputTail}`);
    await sleep(25);
  }
  // unix:///path: nice-grpc leaves unknown schemes to grpc-js untouched.
  const envd = guestClient(`unix://${socket}`);
  let stopped: Promise<void> | undefined;
  const sandbox: TestSandbox = {
    id,
    net,
    envd,
    stop: () =>
      (stopped ??= (async () => {
        envd.close();
        await proc.kill();
        await unmountAllUnder(dir);
        await net.release();
      })()),
  };
  sandboxes.push(sandbox);
  await envd.waitHealthy(10_000);
  console.log(`[network] namespace sandbox with netns: envd healthy after ${Math.round(performance.now() - started)} ms`);
  return sandbox;
}

async function read(sandbox: TestSandbox, address: string, port: number): Promise<string> {
  const [cmd, ...args] = tcpReadCommand(address, port);
  return (await sandbox.envd.run(cmd!, args)).stdout.trim();
}

describe("namespace runtime sandbox in its own network namespace", () => {
  test("envd works, the sandbox has its own address, and the host reaches its ports there", async () => {
    const sb = await startSandbox();
    expect((await sb.envd.run("cat", ["/proc/net/fib_trie"])).stdout).toContain(sb.net.address);
    await sb.envd.run("sh", ["-c", `nohup node -e 'require("net").createServer((s)=>s.end("from sandbox\\n")).listen(8080)' >/dev/null 2>&1 &`]);
    let reply = "";
    for (let i = 0; i < 50 && reply === ""; i++) {
      reply = await readHost(sb.net.address, 8080);
      if (reply === "") await sleep(100);
    }
    expect(reply).toBe("from sandbox");
  });

  test("egress: allow-all, deny-all and an allow-list", async () => {
    const open = await startSandbox();
    const closed = await startSandbox({ mode: "deny-all" });
    const listed = await startSandbox({ mode: "allow-list", cidrs: [`${inet.secondary}/32`] });
    expect(await read(open, inet.primary, inet.port)).toBe(`inet ${inet.primary} from 198.18.0.2`);
    expect(await read(closed, inet.primary, inet.port)).toBe("");
    expect(await read(closed, inet.secondary, inet.port)).toBe("");
    expect(await read(listed, inet.secondary, inet.port)).toBe(`inet ${inet.secondary} from 198.18.0.2`);
    expect(await read(listed, inet.primary, inet.port)).toBe("");
  });

  test("root in the sandbox cannot change addresses, routes or firewall rules", async () => {
    const sb = await startSandbox({ mode: "deny-all" });
    for (const command of [`ip addr add 10.240.255.254/32 dev eth0`, "ip route del default", "nft flush ruleset", "ip link set eth0 down"]) {
      const result = await sb.envd.run("sh", ["-c", `${command} 2>&1; echo "exit=$?"`]);
      expect(result.stdout, command).toMatch(/Operation not permitted/);
      expect(result.stdout, command).not.toContain("exit=0");
    }
    expect(await read(sb, inet.primary, inet.port)).toBe("");
  });

  test("a sandbox reaches neither another sandbox nor the host's services", async () => {
    const a = await startSandbox();
    const b = await startSandbox();
    await b.envd.run("sh", ["-c", `nohup node -e 'require("net").createServer((s)=>s.end("b\\n")).listen(9000)' >/dev/null 2>&1 &`]);
    const host = await startHostServer("0.0.0.0");
    try {
      let control = "";
      for (let i = 0; i < 50 && control === ""; i++) {
        control = await readHost(b.net.address, 9000);
        if (control === "") await sleep(100);
      }
      expect(control).toBe("b"); // the host reaches B
      expect(await read(a, b.net.address, 9000)).toBe("");
      const route = (await a.envd.run("sh", ["-c", "ip route show default"])).stdout;
      const gateway = /via (\S+)/.exec(route)?.[1] ?? "";
      expect(gateway).not.toBe("");
      for (const target of [gateway, "198.18.0.2", "192.0.2.2", "127.0.0.1"]) {
        expect(await read(a, target, host.port), target).toBe("");
      }
      expect(host.connections()).toBe(0);
    } finally {
      await host.close();
    }
  });

  test("stopping every sandbox leaves no namespace, veth or rule", async () => {
    await Promise.all(sandboxes.map((s) => s.stop()));
    expect(await networkLeftovers()).toEqual(noLeftovers);
  });
});

async function readHost(address: string, port: number): Promise<string> {
  const { execFile } = await import("node:child_process");
  return new Promise((resolve) => {
    execFile("timeout", ["3", "bash", "-c", `cat < /dev/tcp/${address}/${port}`], (_err, stdout) => resolve(String(stdout).trim()));
  });
}
