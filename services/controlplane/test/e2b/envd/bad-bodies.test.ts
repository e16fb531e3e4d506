import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@wrenn/shared";
import { createEnvdFace } from "../../../src/e2b/envd/envd-face.js";
import { envdReadMaxBytes } from "../../../src/e2b/envd/envd-compression.js";

/**
 * Bodies the envd fuzz found refused badly: a gzip body cut short answered
 * 500 internal (connect-node's gzip), and a body that never ends was read
 * without a limit (Connect's default is 4 GiB). Both are refused before any
 * public call, so the face runs here on a server of its own with no API behind it.
 */
let server: Server;
let face: ReturnType<typeof createEnvdFace>;
let port: number;

beforeAll(async () => {
  face = createEnvdFace({ grpcTarget: "127.0.0.1:9", domain: "localhost", logger: createLogger("test", { level: "silent" }) });
  server = createServer((req, res) => void face.front.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await face.close();
  await new Promise((resolve) => server.close(resolve));
});

const headers = (type: string, extra: Record<string, string> = {}) => ({ "e2b-sandbox-id": `sb${"1".repeat(32)}`, "content-type": type, "connect-protocol-version": "1", ...extra });

/** Status and body of a request whose body is `body`, or endless zeros (the answer must come while it is still being written). */
function send(path: string, head: Record<string, string>, body: Buffer | "endless"): Promise<{ status: number; body: Buffer; writtenBytes: number }> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const req = request({ host: "127.0.0.1", port, method: "POST", path, headers: head, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), writtenBytes: written });
      });
    });
    req.on("error", (err) => (answered ? undefined : reject(err)));
    if (body !== "endless") return void req.end(body);
    const chunk = Buffer.alloc(256 * 1024);
    const pump = (): void => {
      while (!answered && written < 1024 * 1024 * 1024) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
    };
    pump();
  });
}

describe("E2B envd face: bad request bodies are the client's fault", () => {
  it("answers a gzip body cut short with 400 invalid_argument, not 500 internal", async () => {
    const cut = gzipSync(JSON.stringify({ path: "/tmp/x" })).subarray(0, 12);
    const answer = await send("/filesystem.Filesystem/Stat", headers("application/json", { "content-encoding": "gzip" }), cut);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body.toString())).toMatchObject({ code: "invalid_argument" });
  });

  it("answers a gzip body that inflates past the read limit with resource_exhausted", async () => {
    const bomb = gzipSync(Buffer.alloc(envdReadMaxBytes + 1024));
    const answer = await send("/filesystem.Filesystem/Stat", headers("application/json", { "content-encoding": "gzip" }), bomb);
    expect(JSON.parse(answer.body.toString())).toMatchObject({ code: "resource_exhausted" });
  });

  it("stops reading a unary body that never ends, soon after the read limit", async () => {
    const answer = await send("/process.Process/List", headers("application/json"), "endless");
    expect(JSON.parse(answer.body.toString())).toMatchObject({ code: "resource_exhausted" });
    expect(answer.writtenBytes).toBeLessThan(envdReadMaxBytes * 4);
  });

  it("refuses a stream envelope that claims more than the limit at once", async () => {
    const envelope = Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 0x7b, 0x7d]);
    const answer = await send("/process.Process/Connect", headers("application/connect+json"), envelope);
    expect(answer.status).toBe(200);
    // The end-of-stream message: flags 0x02, a length, then {"error":{…}}.
    expect(answer.body[0]).toBe(2);
    expect(JSON.parse(answer.body.subarray(5).toString())).toMatchObject({ error: { code: "resource_exhausted" } });
  });
});
