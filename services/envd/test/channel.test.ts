import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createChannel, createClient, Metadata } from "nice-grpc";
import { HealthDefinition } from "nice-grpc-server-health";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvdServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import { ProcessServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { startEnvd, type RunningEnvd } from "./harness.js";
import { accessTokenMetadataKey } from "@wrenn/shared";

/**
 * envd as in a VM: in a network namespace of its own (the "guest"), listening
 * on the namespace's veth address only, with the host on the other end. A
 * process in the namespace that dials envd's address comes from a local
 * address and is cut off before any byte; loopback has no listener at all;
 * the host side is served.
 */
const id = randomBytes(3).toString("hex");
const ns = `wrenn-chan-${id}`;
const hostIf = `wch${id}`;
const nsIf = `wcn${id}`;
const octet = 1 + (parseInt(id, 16) % 250);
const hostIp = `10.252.${octet}.1`;
const guestIp = `10.252.${octet}.2`;
const port = 49983;
const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });

/**
 * Run inside the namespace: dials, speaks HTTP/2's client preface, and
 * prints how many bytes came back before the connection was closed or reset
 * (an HTTP/2 server always answers with SETTINGS), or the connect error.
 */
const probe = `
const s = require("net").connect({ host: process.argv[1], port: Number(process.argv[2]) });
let got = 0;
s.on("connect", () => s.write(Buffer.concat([Buffer.from("PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n"), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])])));
s.on("data", (d) => { got += d.length; });
s.on("error", (e) => { console.log(e.code === "ECONNRESET" ? "cut after " + got + " bytes" : e.code); process.exit(0); });
s.on("close", () => { console.log("cut after " + got + " bytes"); process.exit(0); });
setTimeout(() => { console.log("open after " + got + " bytes"); process.exit(0); }, 3000);
`;
const probeFromGuest = (host: string) =>
  execFileSync("ip", ["netns", "exec", ns, process.execPath, "-e", probe, host, String(port)], { stdio: "pipe" }).toString().trim();

let envd: RunningEnvd;
beforeAll(async () => {
  ip("netns", "add", ns);
  ip("link", "add", hostIf, "type", "veth", "peer", "name", nsIf);
  ip("link", "set", nsIf, "netns", ns);
  ip("addr", "add", `${hostIp}/30`, "dev", hostIf);
  ip("link", "set", hostIf, "up");
  ip("netns", "exec", ns, "ip", "addr", "add", `${guestIp}/30`, "dev", nsIf);
  ip("netns", "exec", ns, "ip", "link", "set", nsIf, "up");
  ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");
  envd = await startEnvd({ WRENN_ENVD_LISTEN: `${guestIp}:${port}` }, undefined, ["ip", "netns", "exec", ns], { initialise: false });
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

describe("envd's channel", () => {
  it("refuses a process inside the sandbox on envd's own address, has nothing on loopback, and serves the host", async () => {
    // Before Init: nobody inside may reach envd (an Init from there would take it over).
    expect(probeFromGuest(guestIp)).toBe("cut after 0 bytes");
    expect(probeFromGuest("127.0.0.1")).toBe("ECONNREFUSED");
    await expect.poll(() => envd.logs.some((l) => l.msg === "refused a connection from inside the sandbox: only the host may call envd")).toBe(true);

    const channel = createChannel(`${guestIp}:${port}`);
    try {
      expect((await createClient(HealthDefinition, channel).check({ service: "" })).status).toBe(1);
      const token = `tok-${randomBytes(16).toString("hex")}`;
      await createClient(EnvdServiceDefinition, channel).init({ sandboxId: "sb-channel", accessToken: token });
      const list = await createClient(ProcessServiceDefinition, channel).list({}, { metadata: Metadata({ [accessTokenMetadataKey]: token }) });
      expect(list.processes).toEqual([]);
    } finally {
      channel.close();
    }
    // After Init as well.
    expect(probeFromGuest(guestIp)).toBe("cut after 0 bytes");
  });
});
