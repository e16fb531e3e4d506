import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Port, WatchPortsResponse } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import { readUntil, startEnvd, type RunningEnvd } from "./harness.js";

/**
 * envd runs in its own network namespace joined to the host by a veth pair,
 * as in a sandbox: its /proc/net/tcp is the namespace's, and the veth address
 * is its "external interface".
 */
const id = randomBytes(3).toString("hex");
const ns = `wrenn-envd-${id}`;
const hostIf = `wvh${id}`;
const nsIf = `wvn${id}`;
const octet = 1 + (parseInt(id, 16) % 250);
const hostIp = `10.251.${octet}.1`;
const nsIp = `10.251.${octet}.2`;
const hostIp6 = `fd77:251:${octet.toString(16)}::1`;
const nsIp6 = `fd77:251:${octet.toString(16)}::2`;
const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });

let envd: RunningEnvd;
beforeAll(async () => {
  ip("netns", "add", ns);
  ip("link", "add", hostIf, "type", "veth", "peer", "name", nsIf);
  ip("link", "set", nsIf, "netns", ns);
  ip("addr", "add", `${hostIp}/30`, "dev", hostIf);
  ip("link", "set", hostIf, "up");
  ip("netns", "exec", ns, "ip", "addr", "add", `${nsIp}/30`, "dev", nsIf);
  ip("netns", "exec", ns, "ip", "link", "set", nsIf, "up");
  ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");
  ip("-6", "addr", "add", `${hostIp6}/64`, "dev", hostIf, "nodad");
  ip("netns", "exec", ns, "ip", "-6", "addr", "add", `${nsIp6}/64`, "dev", nsIf, "nodad");
  envd = await startEnvd({ WRENN_ENVD_FORWARD_PORTS: "true", WRENN_ENVD_PORT_SCAN_MS: "100" }, undefined, ["ip", "netns", "exec", ns]);
});
afterAll(async () => {
  await envd?.stop();
  try {
    ip("link", "del", hostIf);
  } catch {
    /* went with the namespace */
  }
  ip("netns", "del", ns);
});

/** Connects from the host side and returns what the server says. */
function fetchGreeting(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    let got = "";
    s.on("data", (d) => (got += d.toString()));
    s.on("end", () => resolve(got));
    s.on("error", reject);
    s.setTimeout(3_000, () => s.destroy(new Error("timeout")));
  });
}

const listener = (host: string, port: number) =>
  `require("net").createServer((s) => s.end("hello from " + s.localAddress)).listen(${port}, "${host}", () => console.log("up"))`;

async function startListener(tag: string, host: string, port: number) {
  const abort = new AbortController();
  const stream = envd.process.start({ process: { cmd: process.execPath, args: ["-e", listener(host, port)] }, tag, background: true }, { signal: abort.signal });
  await readUntil(stream, (t) => t.includes("up"));
  abort.abort();
}

describe("ports", () => {
  it("reports listeners as they open and close, and forwards loopback-only ones to the external address", async () => {
    const events: WatchPortsResponse[] = [];
    const abort = new AbortController();
    void (async () => {
      try {
        for await (const e of envd.envd.watchPorts({}, { signal: abort.signal })) events.push(e);
      } catch {
        /* cancelled */
      }
    })();
    /** Polls the ports reported so far as `kind` until one matches. */
    const reported = (kind: "opened" | "closed", match: Partial<Port>) =>
      expect
        .poll(() => events.map((e) => e[kind]).filter((p) => p !== undefined), { timeout: 5_000, message: `a ${kind} event for ${JSON.stringify(match)}` })
        .toContainEqual(expect.objectContaining(match));

    await startListener("lo-server", "127.0.0.1", 8123);
    await startListener("any-server", "0.0.0.0", 8124);
    await reported("opened", { address: "127.0.0.1", port: 8123, forwarded: true });
    await reported("opened", { address: "0.0.0.0", port: 8124, forwarded: false });
    // The forwarder itself is not reported as a port.
    expect(events.some((e) => e.opened?.address === nsIp)).toBe(false);

    expect(await fetchGreeting(nsIp, 8123)).toBe("hello from 127.0.0.1");
    expect(await fetchGreeting(nsIp, 8124)).toBe(`hello from ${nsIp}`);
    const { ports } = await envd.envd.listPorts({});
    expect(ports).toEqual(
      expect.arrayContaining([
        { address: "127.0.0.1", port: 8123, forwarded: true },
        { address: "0.0.0.0", port: 8124, forwarded: false },
      ]),
    );

    await envd.process.kill({ selector: "lo-server" });
    await reported("closed", { address: "127.0.0.1", port: 8123 });
    // The forwarder stopped with its port.
    await expect(fetchGreeting(nsIp, 8123)).rejects.toThrow(/ECONNREFUSED/);
    await envd.process.kill({ selector: "any-server" });
    await reported("closed", { port: 8124 });
    abort.abort();
  });

  it("forwards an IPv6 loopback listener on the external IPv4 and IPv6 addresses", async () => {
    await startListener("lo6-server", "::1", 8126);
    await expect
      .poll(async () => (await envd.envd.listPorts({})).ports, { timeout: 5_000, message: "[::1]:8126 listed as forwarded" })
      .toContainEqual({ address: "::1", port: 8126, forwarded: true });
    expect(await fetchGreeting(nsIp, 8126)).toBe("hello from ::1");
    expect(await fetchGreeting(nsIp6, 8126)).toBe("hello from ::1");
    await envd.process.kill({ selector: "lo6-server" });
  });

  it("stops forwarding for a snapshot and resumes after the restore", async () => {
    await startListener("snap-server", "127.0.0.1", 8125);
    await forwardedGreeting(8125).toBe("hello from 127.0.0.1");
    await envd.envd.prepareSnapshot({});
    await expect(fetchGreeting(nsIp, 8125)).rejects.toThrow(/ECONNREFUSED/);
    await envd.envd.afterRestore({});
    await forwardedGreeting(8125).toBe("hello from 127.0.0.1");
    await envd.process.kill({ selector: "snap-server" });
  });
});

/** Polls what the server on `port` says through the forwarder (a failed connection shows as its error). */
function forwardedGreeting(port: number) {
  const attempt = () => fetchGreeting(nsIp, port).catch((err: Error) => err.message);
  return expect.poll(attempt, { timeout: 5_000, message: `the greeting on ${nsIp}:${port}` });
}
