import { readFile } from "node:fs/promises";
import { connect, type ClientHttp2Session, type OutgoingHttpHeaders } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { startHttpServer, writeSite } from "./proxy-sandbox-servers.js";

/**
 * The E2B envd face over HTTP/2 on the TLS listener: what the Python SDK's
 * client (which negotiates h2 when offered) sends, spoken by a node:http2
 * client: a Connect unary call with JSON and a server stream with
 * `application/connect+json` envelopes, by the `49983-<id>.<domain>` host
 * and by the E2b-Sandbox-Id header, with the sandbox's access token.
 */
const domain = "e2b.localhost";
let stack: Stack;
let client: WrennClient;
let ca: string;
let port: string;
let sandboxId = "";
let e2bId = "";
let accessToken = "";
const sessions: ClientHttp2Session[] = [];

beforeAll(async () => {
  stack = await startStack({ tls: { domain } });
  ca = await readFile(stack.tls!.caFile, "utf8");
  port = new URL(stack.httpsUrl!).port;
  client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
  const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
  expect(sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
  sandboxId = sandbox!.sandboxId;
  e2bId = sandboxId.replaceAll("-", "");
  accessToken = sandbox!.accessToken;
});
afterAll(async () => {
  for (const session of sessions) session.destroy();
  if (sandboxId) await client.sandboxes.destroySandbox({ sandboxId, wait: true }).catch(() => undefined);
  client?.close();
  await stack?.close();
});

function session(host: string): ClientHttp2Session {
  const opened = connect(`https://${host}:${port}`, { ca });
  opened.on("error", () => {});
  sessions.push(opened);
  return opened;
}

function call(on: ClientHttp2Session, headers: OutgoingHttpHeaders, body: Buffer | string): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const stream = on.request({ ":method": "POST", ...headers });
    const chunks: Buffer[] = [];
    let answer: Record<string, unknown> = {};
    stream.on("response", (h) => (answer = h));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve({ status: Number(answer[":status"]), headers: answer, body: Buffer.concat(chunks) }));
    stream.on("error", reject);
    stream.end(body);
  });
}

function envelope(message: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(message));
  const head = Buffer.alloc(5);
  head.writeUInt32BE(json.length, 1);
  return Buffer.concat([head, json]);
}

function envelopes(body: Buffer): { flags: number; message: any }[] {
  const out: { flags: number; message: any }[] = [];
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    out.push({ flags: body[at], message: JSON.parse(body.subarray(at + 5, at + 5 + length).toString() || "{}") });
    at += 5 + length;
  }
  return out;
}

describe("E2B envd face over HTTP/2", () => {
  it("answers a Connect unary call (Filesystem/Stat, JSON) on the 49983-<id> host", async () => {
    const on = session(`49983-${e2bId}.${domain}`);
    const res = await call(on, { ":path": "/filesystem.Filesystem/Stat", "content-type": "application/json", "connect-protocol-version": "1", "x-access-token": accessToken }, JSON.stringify({ path: "/tmp" }));
    expect(on.alpnProtocol).toBe("h2");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toMatchObject({ entry: { name: "tmp", type: "FILE_TYPE_DIRECTORY", path: "/tmp" } });
  });

  it("refuses the unary call without the access token", async () => {
    const res = await call(session(`49983-${e2bId}.${domain}`), { ":path": "/filesystem.Filesystem/Stat", "content-type": "application/json", "connect-protocol-version": "1" }, JSON.stringify({ path: "/tmp" }));
    expect(res.status).toBe(401);
  });

  it("streams Process/Start events as connect+json envelopes, routed by E2b-Sandbox-Id", async () => {
    const on = session(`api.${domain}`);
    const res = await call(
      on,
      { ":path": "/process.Process/Start", "content-type": "application/connect+json", "connect-protocol-version": "1", "x-access-token": accessToken, "e2b-sandbox-id": e2bId, "e2b-sandbox-port": "49983" },
      envelope({ process: { cmd: "/bin/sh", args: ["-c", "echo over-h2"] } }),
    );
    expect(on.alpnProtocol).toBe("h2");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/connect+json");
    const frames = envelopes(res.body);
    const events = frames.filter((frame) => frame.flags === 0).map((frame) => frame.message.event);
    expect(events[0]).toHaveProperty("start.pid");
    const stdout = events.flatMap((event) => (event.data?.stdout ? [Buffer.from(event.data.stdout, "base64").toString()] : [])).join("");
    expect(stdout).toBe("over-h2\n");
    expect(events.at(-1)).toMatchObject({ end: { exited: true } });
    // The end-of-stream envelope (flag 2) carries no error.
    expect(frames.at(-1)).toEqual({ flags: 2, message: {} });
  });
});

describe("the port proxy over HTTP/2", () => {
  it("forwards a GET to a web server in the sandbox and back, by the 8000-<id> host", async () => {
    await writeSite(client, sandboxId, "/tmp/h2-site");
    await startHttpServer(client, sandboxId, 8000, "/tmp/h2-site");
    const on = session(`8000-${sandboxId}.${domain}`);
    const page = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const stream = on.request({ ":path": "/sub/a.txt", "x-api-key": stack.apiKey });
      let status = 0;
      let body = "";
      stream.on("response", (h) => (status = Number(h[":status"])));
      stream.on("data", (chunk: Buffer) => (body += chunk.toString()));
      stream.on("end", () => resolve({ status, body }));
      stream.on("error", reject);
      stream.end();
    });
    expect(on.alpnProtocol).toBe("h2");
    expect(page).toEqual({ status: 200, body: "file a" });
  });
});
