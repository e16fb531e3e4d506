/** Hand-written handler routes beside the transcoded ones: prefixes, `authorize`, and how their errors are answered. */
import { describe, expect, it } from "vitest";
import { createLogger, errors } from "@wrenn/shared";
import { createGateway, type GatewayOptions } from "../../src/gateway/gateway.js";
import type { HttpHandlerRoute } from "../../src/gateway/index.js";
import { readJson, useGateway } from "./gateway-fixture.js";

const echoRoute: HttpHandlerRoute = {
  prefix: "/v1/hooks",
  async handle(req, res, request) {
    if (request.path === "/v1/hooks/missing") throw errors.notFound("no such hook");
    if (request.path === "/v1/hooks/bug") throw new Error("a bug with a secret in it");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ method: req.method, path: request.path, query: request.query, attributes: request.attributes }));
  },
};

const gw = useGateway({
  handlers: [echoRoute],
  async authorize({ metadata, path, httpMethod }) {
    if (metadata.get("authorization") !== "Bearer k-1") throw errors.unauthenticated(`${httpMethod} ${path} needs a key`);
    return { team: "t-1" };
  },
});
const get = (path: string, headers: Record<string, string> = { authorization: "Bearer k-1" }) => fetch(gw.base + path, { headers });

describe("handler routes", () => {
  it("serves the prefix and every path below it, with what authorize returned", async () => {
    for (const path of ["/v1/hooks", "/v1/hooks/a/b"]) {
      const res = await get(`${path}?x=1`);
      expect(res.status, path).toBe(200);
      expect(await readJson(res)).toEqual({ method: "GET", path, query: "x=1", attributes: { team: "t-1" } });
    }
    const beside = await get("/v1/hooksx");
    expect(beside.status).toBe(404);
  });

  it("answers authorize's refusal with its status, before the handler runs", async () => {
    const res = await get("/v1/hooks/a", {});
    expect(res.status).toBe(401);
    expect(await readJson(res)).toEqual({ code: "UNAUTHENTICATED", message: "GET /v1/hooks/a needs a key", details: [] });
  });

  it("answers a handler's status error through the status table, and anything else as 500 without its text", async () => {
    const missing = await get("/v1/hooks/missing");
    expect(missing.status).toBe(404);
    expect(await readJson(missing)).toEqual({ code: "NOT_FOUND", message: "no such hook", details: [] });
    const bug = await get("/v1/hooks/bug");
    expect(bug.status).toBe(500);
    expect(await readJson(bug)).toEqual({ code: "INTERNAL", message: "internal error", details: [] });
  });

  it("leaves transcoded routes and the gateway's own paths to the gRPC server's checks", async () => {
    const listed = await get("/v1/sandboxes", {});
    expect(listed.status).toBe(200);
    expect((await get("/healthz", {})).status).toBe(200);
  });

  it("refuses, at start, a prefix that is malformed, taken, or would shadow or sit under a transcoded route", () => {
    const start = (handlers: GatewayOptions["handlers"]) =>
      createGateway({ grpcTarget: "127.0.0.1:1", logger: createLogger("gateway-test", { level: "silent" }), handlers });
    const route = (prefix: string): HttpHandlerRoute => ({ prefix, handle: echoRoute.handle });
    expect(() => start([route("/v1/hooks/")])).toThrow(/must be "\/segment/);
    expect(() => start([route("v1")])).toThrow(/must be "\/segment/);
    expect(() => start([route("/v1/a"), route("/v1/a")])).toThrow(/two handler routes/);
    expect(() => start([route("/healthz")])).toThrow(/takes a gateway path/);
    expect(() => start([route("/v1")])).toThrow(/would shadow/);
    expect(() => start([route("/v1/sandboxes/sb-1")])).toThrow(/is a transcoded route's path/);
  });
});
