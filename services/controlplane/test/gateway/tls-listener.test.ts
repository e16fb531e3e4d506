/** The gateway's TLS listener (WRENN_HTTPS_LISTEN): the same routes and upgrades as the plain one, closed with it. */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@wrenn/shared";
import { loadControlPlaneConfig } from "../../src/config.js";
import { createGateway, type Gateway } from "../../src/gateway/gateway.js";
import type { RawHttpRoute } from "../../src/gateway/raw-routes.js";
import { startTestBackend, type TestBackend } from "./test-backend.js";

const upgradeRoute: RawHttpRoute = {
  httpMethod: "GET",
  path: "/v1/sandboxes/{sandbox_id}/hold",
  openapi: {},
  async handle(_req, res) {
    res.writeHead(426).end();
  },
  async upgrade(req, socket) {
    socket.end(`HTTP/1.1 101 Switching Protocols\r\nupgrade: test\r\nconnection: Upgrade\r\nx-encrypted: ${"encrypted" in req.socket}\r\n\r\n`);
  },
};

let backend: TestBackend;
let dir: string;
let cert: Buffer;
let key: Buffer;
let gateway: Gateway;
let port: number;

beforeAll(async () => {
  backend = await startTestBackend();
  dir = await mkdtemp(join(tmpdir(), "wrenn-tls-test-"));
  await promisify(execFile)("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc", "-days", "1",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
  ]);
  [cert, key] = await Promise.all([readFile(join(dir, "cert.pem")), readFile(join(dir, "key.pem"))]);
  gateway = createGateway({ grpcTarget: backend.address, logger: createLogger("tls-test", { level: "silent" }), rawRoutes: [upgradeRoute] });
  await gateway.listen(0, "127.0.0.1");
  port = Number((await gateway.listenTls(0, "127.0.0.1", { cert, key })).split(":").pop());
});
afterAll(async () => {
  await gateway?.close();
  await backend?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Writes `request` over TLS (trusting only the test certificate) and reads until the server closes. */
function exchange(request: string, alpn: string[] = ["http/1.1"]): Promise<{ text: string; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, ca: cert, ALPNProtocols: alpn }, () => socket.write(request));
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
    socket.once("end", () => resolve({ text, alpn: socket.alpnProtocol ?? false }));
    socket.once("error", reject);
  });
}

describe("TLS listener", () => {
  it("serves the gateway's routes over HTTP/1.1 to a client that offers only http/1.1 (h2 is chosen when offered: tls-h2.test.ts)", async () => {
    const { text, alpn } = await exchange("GET /healthz HTTP/1.1\r\nHost: api.example.localhost\r\nConnection: close\r\n\r\n", ["http/1.1"]);
    expect(alpn).toBe("http/1.1");
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("answers an unknown route with the gateway's JSON error, as the plain listener does", async () => {
    const { text } = await exchange("GET /v1/nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(text).toMatch(/^HTTP\/1\.1 404 /);
    expect(text).toContain('"code"');
  });

  it("hands an upgrade to its route, on the encrypted socket", async () => {
    const { text } = await exchange("GET /v1/sandboxes/sb-1/hold HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    expect(text).toMatch(/^HTTP\/1\.1 101 /);
    expect(text).toContain("x-encrypted: true");
  });

  it("refuses a second TLS listener", async () => {
    await expect(gateway.listenTls(0, "127.0.0.1", { cert, key })).rejects.toThrow(/already/);
  });
});

describe("TLS settings", () => {
  it("are off unless WRENN_HTTPS_LISTEN is set, and need both PEM files when it is", () => {
    expect(loadControlPlaneConfig({}).httpsListen).toBeUndefined();
    expect(loadControlPlaneConfig({ WRENN_HTTPS_LISTEN: "" }).httpsListen).toBeUndefined();
    expect(loadControlPlaneConfig({ WRENN_HTTPS_LISTEN: "0.0.0.0:8443", WRENN_TLS_CERT_FILE: "/c.pem", WRENN_TLS_KEY_FILE: "/k.pem" }).httpsListen).toEqual({
      address: { host: "0.0.0.0", port: 8443 },
      certFile: "/c.pem",
      keyFile: "/k.pem",
    });
    expect(() => loadControlPlaneConfig({ WRENN_HTTPS_LISTEN: "0.0.0.0:8443", WRENN_TLS_CERT_FILE: "/c.pem" })).toThrow(/WRENN_TLS_KEY_FILE/);
    expect(() => loadControlPlaneConfig({ WRENN_TLS_CERT_FILE: "/c.pem", WRENN_TLS_KEY_FILE: "/k.pem" })).toThrow(/need WRENN_HTTPS_LISTEN/);
    expect(() => loadControlPlaneConfig({ WRENN_HTTPS_LISTEN: "8443" })).toThrow(/host:port/);
  });
});
