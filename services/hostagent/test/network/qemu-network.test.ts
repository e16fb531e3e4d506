import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { toWireId } from "@wrenn/shared";
import { buildImage, type GuestImage } from "../../src/image/build-image.js";
import { loadImageConfig } from "../../src/image/image-config.js";
import { createProgress } from "../../src/image/progress.js";
import { cleanupStaleNetworks, type EgressPolicy } from "../../src/network/index.js";
import { waitEnvdServing } from "../../src/envd/envd-connection.js";
import { createNetnsNetworkProvider, createQemuRuntime, type QemuRuntime, type SandboxNetworkProvider } from "../../src/runtime/qemu/index.js";
import { guestClient, logger, ms, type GuestClient } from "../qemu/guest-helpers.js";
import { inet, networkLeftovers, testNet, noLeftovers, startFakeInternet, startHostServer, tcpReadCommand, type FakeInternet } from "./net-helpers.js";

/**
 * QEMU sandboxes on the netns + TAP provider. Templates are kept between runs
 * in /var/tmp/wrenn-network-test (rebuilt only when the image changes), one
 * per network kind, so a rerun costs restores (~1 s each), not cold boots.
 */
const templateCache = "/var/tmp/wrenn-network-test";
const policies = new Map<string, EgressPolicy>();
const provider = createNetnsNetworkProvider({ logger, ...testNet, egressPolicyFor: (id) => policies.get(id) });
let image: GuestImage;
let internet: FakeInternet;
let dataDir: string;
let runtime: QemuRuntime;

const newId = () => toWireId("sb", randomUUID());

function makeRuntime(kind: "tap" | "user", network?: SandboxNetworkProvider): QemuRuntime {
  return createQemuRuntime({
    sandboxesDir: join(dataDir, `sandboxes-${kind}`),
    templatesDir: join(templateCache, kind),
    image,
    logger,
    network: network ?? (kind === "tap" ? provider : undefined),
  });
}

beforeAll(async () => {
  await cleanupStaleNetworks({ logger, prefix: testNet.prefix });
  internet = await startFakeInternet();
  image = await buildImage({ ...loadImageConfig(), progress: createProgress(logger) });
  dataDir = await mkdtemp(join(tmpdir(), "wrenn-qnet-"));
  await mkdir(templateCache, { recursive: true });
  runtime = makeRuntime("tap");
  const started = performance.now();
  await runtime.prepare();
  console.log(`[network] QEMU base template on netns+TAP ready in ${ms(performance.now() - started)}`);
}, 600_000);

afterAll(async () => {
  await runtime?.close();
  await internet?.stop();
  // The host table outlives sandboxes while an agent runs; a test leaves the host as it found it.
  await cleanupStaleNetworks({ logger, prefix: testNet.prefix });
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Vm {
  id: string;
  address: string;
  envd: GuestClient;
}

async function createVm(policy?: EgressPolicy): Promise<Vm> {
  const id = newId();
  if (policy) policies.set(id, policy);
  const handle = await runtime.create({ sandboxId: id, templateId: "base", hostname: "sb" }, AbortSignal.timeout(60_000));
  await waitEnvdServing(handle.envdTarget, AbortSignal.timeout(30_000));
  const address = provider.networks.get(id)!.address;
  expect(handle.envdTarget).toBe(`${address}:49983`);
  return { id, address, envd: guestClient(handle.envdTarget, runtime.templateInfo().find((t) => t.id === "base")?.envdToken) };
}

async function read(vm: Vm, address: string, port: number): Promise<string> {
  const [cmd, ...args] = tcpReadCommand(address, port);
  return (await vm.envd.run(cmd!, args)).stdout.trim();
}

describe("QEMU sandboxes in their own network namespace", () => {
  let open: Vm;
  let closed: Vm;

  test("envd answers at the namespace address; egress policy is enforced per sandbox", async () => {
    open = await createVm();
    closed = await createVm({ mode: "deny-all" });
    expect(await read(open, inet.primary, inet.port)).toBe(`inet ${inet.primary} from 198.18.0.2`);
    expect(await read(closed, inet.primary, inet.port)).toBe("");
    expect(await read(closed, inet.secondary, inet.port)).toBe("");
    await provider.networks.setEgressPolicy(open.id, { mode: "allow-list", cidrs: ["198.19.0.0/24"] });
    expect(await read(open, inet.secondary, inet.port)).toBe(`inet ${inet.secondary} from 198.18.0.2`);
    expect(await read(open, inet.primary, inet.port)).toBe("");
    await provider.networks.setEgressPolicy(open.id, { mode: "allow-all" });
  }, 120_000);

  test("any guest port is reachable from the host at the namespace address", async () => {
    await open.envd.run("sh", ["-c", `nohup node -e 'require("net").createServer((s)=>s.end("guest port\\n")).listen(8080)' >/dev/null 2>&1 &`]);
    let reply = "";
    for (let i = 0; i < 100 && reply === ""; i++) {
      reply = await readHost(open.address, 8080);
      if (reply === "") await sleep(200);
    }
    expect(reply).toBe("guest port");
  }, 60_000);

  test("a guest reaches neither another sandbox, nor its namespace, nor the host's services", async () => {
    const host = await startHostServer("0.0.0.0");
    try {
      const gateway = provider.networks.get(open.id)!.hostAddress;
      expect(await read(open, closed.address, 49983)).toBe(""); // B's envd, which the host reaches
      for (const target of [gateway, "198.18.0.2", "192.0.2.2", "169.254.0.22", open.address]) {
        expect(await read(open, target, host.port), target).toBe("");
      }
      expect(host.connections()).toBe(0);
    } finally {
      await host.close();
    }
  }, 60_000);

  test("destroy leaves no namespace, veth, TAP or rule", async () => {
    for (const vm of [open, closed]) {
      vm.envd.close();
      await runtime.destroy(vm.id);
    }
    expect(await networkLeftovers()).toEqual(noLeftovers);
  }, 60_000);

  test("a create that fails after the network exists leaves nothing behind", async () => {
    // The network is set up, then QEMU cannot start (its wrapper fails): the runtime unwinds.
    const failing = makeRuntime("tap", async (id, signal) => ({ ...(await provider(id, signal)), wrap: ["false"] }));
    await expect(failing.create({ sandboxId: newId(), templateId: "base", hostname: "sb" }, AbortSignal.timeout(30_000))).rejects.toThrow();
    expect(await networkLeftovers()).toEqual(noLeftovers);
    await failing.close();
  }, 60_000);

  test("create timings: netns + TAP against QEMU user networking", async () => {
    const user = makeRuntime("user");
    const started = performance.now();
    await user.prepare();
    console.log(`[network] QEMU base template on user networking ready in ${ms(performance.now() - started)}`);
    const timings: Record<string, number[]> = { "netns+tap": [], user: [] };
    try {
      for (let round = 0; round < 3; round++) {
        for (const [kind, rt] of [["netns+tap", runtime], ["user", user]] as const) {
          const id = newId();
          const t0 = performance.now();
          const handle = await rt.create({ sandboxId: id, templateId: "base", hostname: "sb" }, AbortSignal.timeout(60_000));
          await waitEnvdServing(handle.envdTarget, AbortSignal.timeout(30_000));
          timings[kind]!.push(performance.now() - t0);
          await rt.destroy(id);
        }
      }
    } finally {
      await user.close();
    }
    for (const [kind, values] of Object.entries(timings)) {
      const sorted = [...values].sort((a, b) => a - b);
      console.log(`[network] create → envd healthy, ${kind}: median ${ms(sorted[1]!)} (${sorted.map(ms).join(", ")})`);
    }
    expect(await networkLeftovers()).toEqual(noLeftovers);
  }, 600_000);
});

async function readHost(address: string, port: number): Promise<string> {
  const { execFile } = await import("node:child_process");
  return new Promise((resolve) => {
    execFile("timeout", ["3", "bash", "-c", `cat < /dev/tcp/${address}/${port}`], (_err, stdout) => resolve(String(stdout).trim()));
  });
}
