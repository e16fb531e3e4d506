/** Graceful shutdown: in-flight streams finish within the grace; what outlasts it, upgraded sockets too, is cut. */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@wrenn/shared";
import { createGateway, type Gateway } from "../../src/gateway/gateway.js";
import type { RawHttpRoute } from "../../src/gateway/raw-routes.js";
import { postJson } from "./gateway-fixture.js";
import { startTestBackend, type TestBackend } from "./test-backend.js";

/** Answers 101 and then holds the socket open, as a WebSocket bridge would. */
const holdingUpgrade: RawHttpRoute = {
  httpMethod: "GET",
  path: "/v1/sandboxes/{sandbox_id}/hold",
  openapi: {},
  async handle(_req, res) {
    res.writeHead(426).end();
  },
  async upgrade(_req, socket) {
    socket.write("HTTP/1.1 101 Switching Protocols\r\nupgrade: test\r\nconnection: Upgrade\r\n\r\n");
  },
};

let backend: TestBackend;
beforeAll(async () => {
  backend = await startTestBackend();
});
afterAll(() => backend?.close());

async function start(shutdownGraceMs: number): Promise<{ gateway: Gateway; base: string }> {
  const gateway = createGateway({ grpcTarget: backend.address, logger: createLogger("gateway-test", { level: "silent" }), shutdownGraceMs, rawRoutes: [holdingUpgrade] });
  return { gateway, base: `http://${await gateway.listen(0, "127.0.0.1")}` };
}

async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<{ text: string; failed: boolean }> {
  let text = "";
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
    return { text, failed: false };
  } catch {
    return { text, failed: true };
  }
}

/** An upgraded connection to the holding route, once its 101 arrived. */
function upgraded(base: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () =>
      socket.write("GET /v1/sandboxes/sb-1/hold HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"),
    );
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.on("error", () => undefined);
    socket.once("data", (chunk: Buffer) => (chunk.toString().startsWith("HTTP/1.1 101") ? resolve({ socket, closed }) : reject(new Error(chunk.toString()))));
  });
}

describe("graceful shutdown", () => {
  it("stops accepting, and lets a stream in flight finish when it is shorter than the grace", async () => {
    const { gateway, base } = await start(60_000);
    const res = await postJson(base, "/v1/sandboxes/sb-1/processes", { process: { cmd: "gated" } });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('"start"');

    let closed = false;
    const closing = gateway.close().then(() => (closed = true));
    // New connections are refused at once.
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    expect(closed).toBe(false);

    backend.openGate();
    const rest = await readAll(reader);
    expect(rest.failed).toBe(false);
    expect(rest.text).toContain('"end"');
    await closing;
    expect(closed).toBe(true);
  });

  it("cuts a stream that outlasts the grace (cancelling its gRPC call) and an upgraded socket, which close() would not track", async () => {
    const { gateway, base } = await start(300);
    const res = await postJson(base, "/v1/sandboxes/sb-1/processes", { process: { cmd: "forever" } });
    const reader = res.body!.getReader();
    await reader.read();
    const ws = await upgraded(base);

    await gateway.close();
    const rest = await readAll(reader);
    expect(rest.text).not.toContain('"end"');
    expect(rest.failed).toBe(true);
    await ws.closed;
    expect(ws.socket.destroyed).toBe(true);
    await expect.poll(() => backend.cancelled.has("StartProcess")).toBe(true);
  });
});
