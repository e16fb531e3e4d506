/** The HTTP server's own limits: header time, idle keep-alive time, header size; JSON body limits on transcoded routes only. */
import { describe, expect, it } from "vitest";
import type { RawHttpRoute } from "../../src/gateway/raw-routes.js";
import { postJson, rawExchange, readJson, useGateway } from "./gateway-fixture.js";

/** A raw route that reads its whole body itself and says how long it was. */
const countingRoute: RawHttpRoute = {
  httpMethod: "POST",
  path: "/v1/sandboxes/{sandbox_id}/blob",
  openapi: { responses: { "200": { description: "bytes read" } } },
  async handle(req, res) {
    let bytes = 0;
    for await (const chunk of req) bytes += (chunk as Buffer).length;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ bytes }));
  },
};

describe("HTTP server limits", () => {
  const gw = useGateway({ serverLimits: { headersTimeoutMs: 300, keepAliveTimeoutMs: 1_000 }, rawRoutes: [countingRoute] });

  it("answers 408 and closes a connection whose headers do not arrive in time", async () => {
    // Headers begun and never finished: a slowloris client.
    const answer = await rawExchange(gw.base, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes an idle keep-alive connection after the idle timeout, having answered its request", async () => {
    const answer = await rawExchange(gw.base, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    // Kept alive (no "connection: close"), with the timeout announced; the close came from the server, since the client sent nothing more.
    expect(answer.toLowerCase()).toContain("keep-alive: timeout=1");
    expect(answer.toLowerCase()).not.toContain("connection: close");
    expect(answer.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  });

  it("answers 431 to headers larger than the limit", async () => {
    const big = "a".repeat(40 * 1024);
    const answer = await rawExchange(gw.base, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
  });

  it("refuses a JSON body over the limit on a transcoded route with 413", async () => {
    const res = await postJson(gw.base, "/v1/sandboxes", { templateId: "base", metadata: { pad: "x".repeat(100 * 1024) } });
    expect(res.status).toBe(413);
    expect((await readJson(res)).code).toBe("RESOURCE_EXHAUSTED");
  });

  it("leaves a raw route's body to the route: far over the JSON limit, read whole", async () => {
    const body = Buffer.alloc(1024 * 1024, 7);
    const res = await fetch(`${gw.base}/v1/sandboxes/sb-1/blob`, { method: "POST", body, headers: { "content-type": "application/octet-stream" } });
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({ bytes: body.length });
  });
});
