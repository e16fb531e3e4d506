import { spawn } from "node:child_process";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createLogger } from "@wrenn/shared";
import { cleanupStaleNetworks, createSandboxNetworks, type AcquiredNetwork, type EgressPolicy } from "../../src/network/index.js";
import { inet, networkLeftovers, testNet, nodeInNetns, noLeftovers, readFromNetns, sh, startFakeInternet, startHostServer, type FakeInternet } from "./net-helpers.js";

/**
 * The namespaces themselves, driven with `ip netns exec` (what a namespace
 * runtime sandbox sees): egress policy, isolation from the host and from
 * other sandboxes, the rate limit, and that nothing is left behind.
 */
const logger = createLogger("network-test", { level: process.env.WRENN_LOG_LEVEL ?? "warn" });
let internet: FakeInternet;
const held: AcquiredNetwork[] = [];

beforeAll(async () => {
  await cleanupStaleNetworks({ logger, prefix: testNet.prefix });
  internet = await startFakeInternet();
});

afterEach(async () => {
  await Promise.allSettled(held.splice(0).map((n) => n.release()));
});

afterAll(async () => {
  await internet?.stop();
  // The host table outlives sandboxes while an agent runs; a test leaves the host as it found it.
  await cleanupStaleNetworks({ logger, prefix: testNet.prefix });
});

const networks = createSandboxNetworks({ logger, ...testNet });
async function acquire(id: string, egress?: EgressPolicy) {
  const net = await networks.acquire(id, { egress });
  held.push(net);
  return net;
}

describe("egress policy", () => {
  test("allow-all reaches the internet, masqueraded behind the host", async () => {
    const net = await acquire("sb-allow-all");
    expect(await readFromNetns(net.netns, inet.primary, inet.port)).toBe(`inet ${inet.primary} from 198.18.0.2`);
    expect(await readFromNetns(net.netns, inet.secondary, inet.port)).toBe(`inet ${inet.secondary} from 198.18.0.2`);
  });

  test("deny-all reaches nothing, but the host still reaches the sandbox's ports", async () => {
    const net = await acquire("sb-deny-all", { mode: "deny-all" });
    expect(await readFromNetns(net.netns, inet.primary, inet.port)).toBe("");
    expect(await readFromNetns(net.netns, inet.secondary, inet.port)).toBe("");
    const server = serveInNetns(net.netns, 8080, "sandbox port");
    try {
      await server.ready;
      expect(await readHost(net.address, 8080)).toBe("sandbox port");
    } finally {
      server.stop();
    }
  });

  test("an allow-list lets the listed CIDR through and nothing else", async () => {
    const net = await acquire("sb-allow-list", { mode: "allow-list", cidrs: ["198.19.0.0/24"] });
    expect(await readFromNetns(net.netns, inet.secondary, inet.port)).toBe(`inet ${inet.secondary} from 198.18.0.2`);
    expect(await readFromNetns(net.netns, inet.primary, inet.port)).toBe("");
  });

  test("a live policy change applies to new connections", async () => {
    const net = await acquire("sb-switch");
    expect(await readFromNetns(net.netns, inet.primary, inet.port)).toContain("inet");
    await networks.setEgressPolicy("sb-switch", { mode: "deny-all" });
    expect(await readFromNetns(net.netns, inet.primary, inet.port)).toBe("");
    expect(networks.get("sb-switch")?.egress).toEqual({ mode: "deny-all" });
  });

  test("bad policies are refused with a precise message", async () => {
    await expect(networks.acquire("sb-bad", { egress: { mode: "allow-list", cidrs: ["198.19.0.1/24"] } })).rejects.toThrow(/host bits set/);
    await expect(networks.acquire("sb-bad", { egress: { mode: "allow-list", cidrs: ["2001:db8::/32"] } })).rejects.toThrow(/IPv6/);
    await expect(networks.acquire("sb-bad", { egress: { mode: "open" } as never })).rejects.toThrow(/unknown egress mode/);
    expect(await networkLeftovers()).toEqual(noLeftovers);
  });
});

describe("isolation", () => {
  test("a sandbox reaches neither the host's services nor another sandbox", async () => {
    const a = await acquire("sb-iso-a");
    const b = await acquire("sb-iso-b");
    const host = await startHostServer("0.0.0.0");
    const inB = serveInNetns(b.netns, 9000, "sandbox b");
    try {
      await inB.ready;
      // Positive controls: the host reaches B, and the host's server answers locally.
      expect(await readHost(b.address, 9000)).toBe("sandbox b");
      expect(await readHost("127.0.0.1", host.port)).toBe("host");
      const hostEth = (await sh("ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1")).trim();
      for (const target of [a.hostAddress, b.hostAddress, hostEth, "127.0.0.1", "198.18.0.2"].filter(Boolean)) {
        expect(await readFromNetns(a.netns, target, host.port), `host service at ${target}`).toBe("");
      }
      expect(await readFromNetns(a.netns, b.address, 9000)).toBe("");
      expect(host.connections()).toBe(1); // only the positive control
    } finally {
      inB.stop();
      await host.close();
    }
  });

  test("a spoofed source address is dropped on the host", async () => {
    const a = await acquire("sb-spoof");
    // A second address in the namespace (as if the sandbox could add one) must not get out.
    await sh(`ip -n ${a.netns} addr add 10.240.255.254/32 dev eth0`);
    const connect = (localAddress: string) =>
      nodeInNetns(
        a.netns,
        `const s=require("node:net").connect({host:"${inet.primary}",port:${inet.port},localAddress:"${localAddress}"});` +
          `s.on("data",(d)=>process.stdout.write(d));s.on("error",()=>{});setTimeout(()=>process.exit(0),2000).unref();`,
      );
    expect(await connect(a.address)).toContain("inet"); // positive control
    expect(await connect("10.240.255.254")).toBe("");
  });
});

describe("rate limit and queue length", () => {
  /** Seconds to send 1 MB out of the sandbox and to receive 1 MB into it. */
  async function transferSeconds(netns: string): Promise<{ up: number; down: number }> {
    const code = `
      const net = require("node:net");
      const t0 = performance.now();
      const up = net.connect(${inet.port + 1}, "${inet.primary}", () => up.end(Buffer.alloc(1000000)));
      let reply = "";
      up.on("data", (d) => (reply += d));
      up.on("end", () => {
        const upS = (performance.now() - t0) / 1000;
        if (reply !== "1000000") { console.log("bad upload " + reply); process.exit(1); }
        const t1 = performance.now();
        let n = 0;
        const down = net.connect(${inet.port + 2}, "${inet.primary}");
        down.on("data", (d) => (n += d.length));
        down.on("end", () => console.log(JSON.stringify({ up: upS, down: (performance.now() - t1) / 1000, n })));
      });`;
    const out = JSON.parse(await nodeInNetns(netns, code)) as { up: number; down: number; n: number };
    expect(out.n).toBe(1000000);
    return out;
  }

  test("tbf shapes both directions and the links use the configured txqueuelen", async () => {
    const slow = createSandboxNetworks({ logger, prefix: testNet.prefix, rateMbit: 8, txQueueLen: 123, pool: "10.251.0.0/24" });
    const net = await slow.acquire("sb-slow");
    held.push(net);
    expect(await sh(`ip -j link show ${net.hostIf}`)).toContain('"txqlen":123');
    expect(await sh(`ip -n ${net.netns} -j link show eth0`)).toContain('"txqlen":123');
    expect(await sh(`tc qdisc show dev ${net.hostIf}`)).toMatch(/tbf .*rate 8Mbit/);
    expect(await sh(`tc -n ${net.netns} qdisc show dev eth0`)).toMatch(/tbf .*rate 8Mbit/);
    const fast = await acquire("sb-fast");
    const shaped = await transferSeconds(net.netns);
    const unshaped = await transferSeconds(fast.netns);
    console.log(`[network] 1 MB up/down at 8 Mbit/s: ${shaped.up.toFixed(2)} s / ${shaped.down.toFixed(2)} s; at the default 200 Mbit/s: ${unshaped.up.toFixed(2)} s / ${unshaped.down.toFixed(2)} s`);
    // 1 MB = 8 Mbit: about one second at 8 Mbit/s (less the initial burst).
    expect(shaped.up).toBeGreaterThan(0.7);
    expect(shaped.down).toBeGreaterThan(0.7);
    expect(unshaped.up).toBeLessThan(0.5);
    expect(unshaped.down).toBeLessThan(0.5);
  });
});

describe("cleanup", () => {
  test("release removes namespace, veth and firewall chain, and is idempotent", async () => {
    const net = await networks.acquire("sb-release", { tap: { address: "169.254.0.21", gateway: "169.254.0.22", prefix: 30 } });
    expect((await networkLeftovers()).namespaces).toContain(net.netns);
    expect(await sh(`ip -n ${net.netns} -br link show tap0`)).toContain("tap0");
    await Promise.all([net.release(), net.release()]);
    await net.release();
    expect(await networkLeftovers()).toEqual(noLeftovers);
    expect(networks.get("sb-release")).toBeUndefined();
  });

  test("a create that fails halfway leaves nothing behind and frees its addresses", async () => {
    const small = createSandboxNetworks({ logger, prefix: testNet.prefix, pool: "10.251.1.0/30" });
    // An impossible TAP prefix makes the namespace-side step fail after the namespace and veth exist.
    await expect(small.acquire("sb-fail", { tap: { address: "169.254.0.21", gateway: "169.254.0.22", prefix: 33 } })).rejects.toThrow();
    expect(await networkLeftovers()).toEqual(noLeftovers);
    // The pool holds a single /30: it was freed, so the next create gets it.
    const ok = await small.acquire("sb-fail");
    held.push(ok);
    expect(ok.address).toBe("10.251.1.2");
  });

  test("an aborted create leaves nothing behind", async () => {
    const controller = new AbortController();
    const pending = networks.acquire("sb-abort", { signal: controller.signal });
    setTimeout(() => controller.abort(), 15);
    await pending.then((n) => n.release()).catch(() => {});
    expect(await networkLeftovers()).toEqual(noLeftovers);
  });

  test("cleanupStaleNetworks removes what a previous agent left", async () => {
    const previous = createSandboxNetworks({ logger, ...testNet });
    const stale = await previous.acquire("sb-stale", { tap: { address: "169.254.0.21", gateway: "169.254.0.22", prefix: 30 } });
    const sleeper = spawn("ip", ["netns", "exec", stale.netns, "sleep", "600"], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 100));
    const result = await cleanupStaleNetworks({ logger, prefix: testNet.prefix });
    expect(result.namespaces).toEqual([stale.netns]);
    expect(result.killedPids).toContain(sleeper.pid);
    expect(await networkLeftovers()).toEqual(noLeftovers);
    expect(await sh("nft list tables")).not.toContain(`inet ${testNet.prefix}\n`);
    // The fake internet is not ours by name and survives.
    expect(await sh("ip netns list")).toContain(inet.netns);
  });
});

/** A one-line TCP server inside a namespace. */
function serveInNetns(netns: string, port: number, reply: string): { ready: Promise<void>; stop(): void } {
  const code = `require("node:net").createServer((s)=>{s.on("error",()=>{});s.end(${JSON.stringify(reply + "\n")})}).listen(${port},"0.0.0.0",()=>console.log("ready"))`;
  const child = spawn("ip", ["netns", "exec", netns, process.execPath, "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("exit", (c) => reject(new Error(`server in ${netns} exited (${c})`)));
  });
  return { ready, stop: () => child.kill("SIGKILL") };
}

async function readHost(address: string, port: number): Promise<string> {
  const out = await sh(`timeout 3 bash -c 'cat < /dev/tcp/${address}/${port}' 2>/dev/null || true`);
  return out.trim();
}
