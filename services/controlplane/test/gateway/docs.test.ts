/** /docs is Swagger UI served from this origin; /openapi.json names the credentials, marks NDJSON streams and lists raw routes. */
import { describe, expect, it } from "vitest";
import type { RawHttpRoute } from "../../src/gateway/raw-routes.js";
import { readJson, useGateway } from "./gateway-fixture.js";

const socketRoute: RawHttpRoute = {
  httpMethod: "GET",
  path: "/v1/sandboxes/{sandbox_id}/processes/{selector}/stream",
  openapi: { operationId: "StreamProcess", responses: { "426": { description: "needs an upgrade" } } },
  async handle(_req, res) {
    res.writeHead(426).end();
  },
  async upgrade(_req, socket) {
    socket.destroy();
  },
};

const gw = useGateway({
  rawRoutes: [socketRoute],
  authentication: { openMethods: new Set(["/wrenn.api.v1.SandboxService/ListSandboxes"]), carriesCredential: () => true },
});

describe("/docs", () => {
  it("is Swagger UI, every file from this origin", async () => {
    const page = await fetch(`${gw.base}/docs`);
    expect(page.status).toBe(200);
    expect(page.url).toBe(`${gw.base}/docs/`);
    const html = await page.text();
    // No CDN: every script and stylesheet is a relative URL, and the policy allows scripts from this origin only.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources).toEqual(expect.arrayContaining(["swagger-ui.css", "swagger-ui-bundle.js", "init.js"]));
    for (const source of sources) {
      const asset = await fetch(new URL(source, page.url));
      expect(asset.status, source).toBe(200);
    }
    const bundle = await (await fetch(`${gw.base}/docs/swagger-ui-bundle.js`)).text();
    expect(bundle).toContain("SwaggerUIBundle");
    const init = await (await fetch(`${gw.base}/docs/init.js`)).text();
    expect(init).toContain("openapi.json");
  });

  it("serves only the files it names (404 for anything else under /docs/)", async () => {
    for (const path of ["/docs/package.json", "/docs/..%2Fpackage.json", "/docs/index.js"]) {
      expect((await fetch(`${gw.base}${path}`)).status, path).toBe(404);
    }
  });
});

describe("/openapi.json", () => {
  it("declares the API key schemes, on every operation but the open ones", async () => {
    const doc = await readJson(await fetch(`${gw.base}/openapi.json`));
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: "apiKey", in: "header", name: "X-API-Key" });
    const operations = Object.values(doc.paths as Record<string, Record<string, any>>).flatMap((methods) => Object.values(methods));
    for (const op of operations) {
      if (op.operationId === "ListSandboxes") expect(op.security).toEqual([]);
      else expect(op.security, op.operationId).toEqual([{ bearer: [] }, { apiKey: [] }]);
    }
  });

  it("marks NDJSON streams in their summary and content types", async () => {
    const doc = await readJson(await fetch(`${gw.base}/openapi.json`));
    const start = doc.paths["/v1/sandboxes/{sandbox_id}/processes"].post;
    expect(start.summary).toMatch(/NDJSON/);
    expect(start["x-wrenn-streaming"]).toBe("server");
    expect(Object.keys(start.responses["200"].content)).toEqual(["application/x-ndjson"]);
    const input = doc.paths["/v1/sandboxes/{sandbox_id}/processes/input/stream"].post;
    expect(input["x-wrenn-streaming"]).toBe("client");
    expect(Object.keys(input.requestBody.content)).toEqual(["application/x-ndjson"]);
    expect(doc.paths["/v1/sandboxes/{sandbox_id}"].get.summary).toBe("GetSandbox");
  });

  it("lists a raw route from its operation, with its path parameters, a default error and the literals it cannot take", async () => {
    const doc = await readJson(await fetch(`${gw.base}/openapi.json`));
    const op = doc.paths["/v1/sandboxes/{sandbox_id}/processes/{selector}/stream"].get;
    expect(op.operationId).toBe("StreamProcess");
    expect(Object.keys(op.responses).sort()).toEqual(["426", "default"]);
    const [sandbox, selector] = op.parameters;
    // The sandbox id takes the transcoded routes' wire id schema; "input" is the literal of …/processes/input/stream.
    expect(sandbox).toMatchObject({ name: "sandbox_id", in: "path", required: true });
    expect(sandbox.schema).toEqual(doc.paths["/v1/sandboxes/{sandbox_id}"].get.parameters[0].schema);
    expect(selector).toMatchObject({ name: "selector", in: "path", required: true, schema: { type: "string", minLength: 1, not: { enum: ["input"] } } });
  });
});
