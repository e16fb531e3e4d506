/** HTTP/2 on the TLS listener (ALPN h2): routes, auth, NDJSON streams, file transfer, drain at close. */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect, type ClientHttp2Session, type OutgoingHttpHeaders } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerError, Status, type Metadata } from "nice-grpc-common";
import { createLogger } from "@wrenn/shared";
import { createGateway, type Gateway } from "../../src/gateway/gateway.js";
import { createFileTransferRoutes, type FileTransferRoutes } from "../../src/transfer/file-transfer-routes.js";
import { startTestBackend, type TestBackend } from "./test-backend.js";

let backend: TestBackend;
let dir: string;
let cert: Buffer;
let gateway: Gateway;
let transfer: FileTransferRoutes;
let origin: string;
const sessions: ClientHttp2Session[] = [];

const authorize = async (request: { metadata: Metadata }) => {
  if (request.metadata.get("x-api-key") !== "wrn_good") throw new ServerError(Status.UNAUTHENTICATED, "a valid API key is required");
  return {};
};

beforeAll(async () => {
  backend = await startTestBackend();
  dir = await mkdtemp(join(tmpdir(), "wrenn-h2-test-"));
  await promisify(execFile)("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc", "-days", "1",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
  ]);
  const [certPem, key] = await Promise.all([readFile(join(dir, "cert.pem")), readFile(join(dir, "key.pem"))]);
  cert = certPem;
  const logger = createLogger("h2-test", { level: process.env.H2_DEBUG ? "debug" : "silent" });
  transfer = createFileTransferRoutes({ grpcTarget: backend.address, authorize, logger });
  gateway = createGateway({
    grpcTarget: backend.address,
    logger,
    rawRoutes: transfer.routes,
    authorize,
    authentication: { openMethods: new Set(), carriesCredential: (md) => md.has("x-api-key") },
  });
  await gateway.listen(0, "127.0.0.1");
  origin = `https://${await gateway.listenTls(0, "127.0.0.1", { cert, key })}`;
});
afterAll(async () => {
  await gateway?.close();
  for (const session of sessions) session.destroy();
  await transfer?.close();
  await backend?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function session(): ClientHttp2Session {
  const opened = connect(origin, { ca: cert });
  opened.on("error", () => {});
  sessions.push(opened);
  return opened;
}

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: Buffer;
}

/** One HTTP/2 request on `on`; the body is collected to its end. */
function h2(on: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = on.request(headers);
    const chunks: Buffer[] = [];
    let answer: Record<string, unknown> = {};
    stream.on("response", (h) => (answer = h));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve({ status: Number(answer[":status"]), headers: answer, body: Buffer.concat(chunks) }));
    stream.on("error", reject);
    stream.end(body);
  });
}

describe("TLS listener over HTTP/2", () => {
  it("negotiates h2 and serves /healthz", async () => {
    const on = session();
    const res = await h2(on, { ":path": "/healthz" });
    expect(on.alpnProtocol).toBe("h2");
    expect(res.status).toBe(200);
  });

  it("refuses a /v1 call without a key and forwards one with a key, on one session", async () => {
    const on = session();
    const refused = await h2(on, { ":path": "/v1/sandboxes", ":method": "POST", "content-type": "application/json" }, "{}");
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body.toString())).toMatchObject({ code: "UNAUTHENTICATED" });
    const created = await h2(on, { ":path": "/v1/sandboxes", ":method": "POST", "content-type": "application/json", "x-api-key": "wrn_good" }, JSON.stringify({ template_id: "base" }));
    expect(created.status).toBe(202);
    expect(JSON.parse(created.body.toString()).sandbox.templateId).toBe("base");
    expect(backend.seen.get("CreateSandbox")?.get("x-api-key")).toBe("wrn_good");
    // No pseudo-header reached the gRPC call as metadata.
    expect([...(backend.seen.get("CreateSandbox") ?? [])].some(([name]) => name.startsWith(":"))).toBe(false);
  });

  it("streams NDJSON events over one h2 stream", async () => {
    const res = await h2(
      session(),
      { ":path": "/v1/sandboxes/sb-1/processes", ":method": "POST", "content-type": "application/json", "x-api-key": "wrn_good" },
      JSON.stringify({ process: { cmd: "echo", args: ["hi"] } }),
    );
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/x-ndjson/);
    const lines = res.body.toString().split("\n").filter(Boolean).map((line) => JSON.parse(line));
    expect(lines.map((line) => Object.keys(line.event)[0])).toEqual(["start", "data", "data", "end"]);
  });

  it("uploads a file through the transfer route and downloads the same bytes", async () => {
    const on = session();
    // Under one WriteFile frame (64 KiB): the test backend wants the sandbox id in every message. Still many h2 DATA frames.
    const data = Buffer.from(Array.from({ length: 60_000 }, (_, i) => (i * 31) % 256));
    const up = await h2(on, { ":path": "/v1/sandboxes/sb-1/files?path=%2Ftmp%2Fh2.bin", ":method": "POST", "x-api-key": "wrn_good", "content-type": "application/octet-stream" }, data);
    expect(up.body.toString()).toContain("/tmp/h2.bin");
    expect(up.status).toBe(200);
    const down = await h2(on, { ":path": "/v1/sandboxes/sb-1/files?path=%2Ftmp%2Fh2.bin", "x-api-key": "wrn_good" });
    expect(down.status).toBe(200);
    expect(down.body.equals(data)).toBe(true);
  });

  it("answers an unknown route with the JSON error", async () => {
    const res = await h2(session(), { ":path": "/v1/nothing-here" });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body.toString())).toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("shutdown with HTTP/2 sessions", () => {
  it("lets a stream in flight finish, closes the idle session, and is done once the stream is", async () => {
    const own = createGateway({ grpcTarget: backend.address, logger: createLogger("h2-test", { level: process.env.H2_DEBUG ? "debug" : "silent" }), shutdownGraceMs: 10_000 });
    const [key] = await Promise.all([readFile(join(dir, "key.pem"))]);
    const address = await own.listenTls(0, "127.0.0.1", { cert, key });
    const busy = connect(`https://${address}`, { ca: cert });
    const idle = connect(`https://${address}`, { ca: cert });
    for (const s of [busy, idle]) s.on("error", () => {});
    expect((await h2(idle, { ":path": "/healthz" })).status).toBe(200);
    const stream = h2(busy, { ":path": "/v1/sandboxes/sb-1/processes", ":method": "POST", "content-type": "application/json" }, JSON.stringify({ process: { cmd: "gated" } }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const idleClosed = new Promise((resolve) => idle.once("close", resolve));
    const closed = own.close();
    await idleClosed;
    backend.openGate();
    const res = await stream;
    expect(res.status).toBe(200);
    expect(res.body.toString()).toContain('"end"');
    await closed;
    await expect(h2(busy, { ":path": "/healthz" })).rejects.toThrow();
  });
});
