import { describe, expect, it } from "vitest";
import { descriptorSetBase64 } from "@wrenn/gen/descriptor.js";
import { newUuid, toWireId } from "@wrenn/shared";
import { buildRouteTable, loadRegistry } from "../../src/gateway/routes.js";
import { buildOpenApi } from "../../src/gateway/openapi.js";
import { createRouter } from "../../src/gateway/router.js";

const { routes } = buildRouteTable(loadRegistry(descriptorSetBase64), "wrenn.api.v1");
// The document is plain JSON; tests walk it loosely.
const doc = JSON.parse(JSON.stringify(buildOpenApi(routes, { title: "t", version: "v1" }))) as any;
const schemas = doc.components.schemas as Record<string, any>;
const op = (method: string, path: string) => doc.paths[path][method];
const resolve = (schema: any) => (schema.$ref ? schemas[schema.$ref.split("/").pop()] : schema);
const param = (method: string, path: string, name: string) => op(method, path).parameters.find((p: any) => p.name === name);

describe("/openapi.json", () => {
  it("declares the wire id pattern on every sandbox_id, and real ids match it", () => {
    const ids = Array.from({ length: 20 }, () => toWireId("sb", newUuid()));
    let seen = 0;
    for (const [path, methods] of Object.entries<any>(doc.paths)) {
      for (const operation of Object.values<any>(methods)) {
        for (const p of operation.parameters.filter((x: any) => x.name === "sandbox_id")) {
          seen++;
          expect(p, path).toMatchObject({ in: "path", required: true });
          const pattern = new RegExp(p.schema.pattern);
          for (const id of ids) expect(pattern.test(id)).toBe(true);
          for (const bad of ["sb-123", `tpl-${"0".repeat(32)}`, `sb-${"g".repeat(32)}`, `${ids[0]}x`]) expect(pattern.test(bad)).toBe(false);
        }
      }
    }
    expect(seen).toBe(routes.filter((r) => r.template.openApiPath.includes("{sandbox_id}")).length);
  });

  it("lets an id field in an answer be empty where nothing is linked, while a path id stays strict", () => {
    const build = toWireId("bld", newUuid());
    const answer = new RegExp(schemas["wrenn.api.v1.Template"].properties.buildId.pattern);
    for (const ok of ["", build]) expect(answer.test(ok)).toBe(true);
    expect(answer.test("bld-123")).toBe(false);
    const path = new RegExp(param("get", "/v1/builds/{build_id}", "build_id").schema.pattern);
    expect(path.test(build)).toBe(true);
    expect(path.test("")).toBe(false);
  });

  it("says which values of a path variable belong to a more specific route, and the router agrees", () => {
    const selector = param("delete", "/v1/sandboxes/{sandbox_id}/processes/{selector}", "selector");
    expect(selector.schema.not.enum).toEqual(["close-stdin", "connect", "input", "signal", "update"]);
    const router = createRouter(routes);
    for (const literal of selector.schema.not.enum) {
      const m = router.match("DELETE", `/v1/sandboxes/sb-1/processes/${literal}`);
      expect(m.kind).toBe("method_not_allowed");
      expect(doc.paths[`/v1/sandboxes/{sandbox_id}/processes/${literal}`].post).toBeDefined();
    }
  });

  it("marks as required the fields the server refuses without", () => {
    expect(param("get", "/v1/sandboxes/{sandbox_id}/files/list", "path")).toMatchObject({ in: "query", required: true });
    expect(param("get", "/v1/sandboxes/{sandbox_id}/files/list", "depth").required).toBe(false);
    const move = resolve(op("post", "/v1/sandboxes/{sandbox_id}/files/move").requestBody.content["application/json"].schema);
    expect(move.required).toEqual(["source", "destination"]);
    const start = op("post", "/v1/sandboxes/{sandbox_id}/processes").requestBody;
    expect(start.required).toBe(true);
    expect(resolve(start.content["application/json"].schema).required).toEqual(["process"]);
    expect(schemas["wrenn.envd.v1.ProcessConfig"].required).toEqual(["cmd"]);
    expect(schemas["wrenn.envd.v1.ProcessSelector"].oneOf).toEqual([{ required: ["pid"] }, { required: ["tag"] }]);
    const signal = resolve(op("post", "/v1/sandboxes/{sandbox_id}/processes/signal").requestBody.content["application/json"].schema);
    expect(signal.required).toEqual(["process", "signal"]);
    expect(signal.properties.signal.enum).not.toContain("SIGNAL_UNSPECIFIED");
    // Nothing is required to create a sandbox: an empty body is a valid request.
    expect(op("post", "/v1/sandboxes").requestBody.required).toBe(false);
  });

  it("leaves path-bound fields out of bodies and refuses unknown fields everywhere", () => {
    const mkdir = resolve(op("post", "/v1/sandboxes/{sandbox_id}/files/mkdir").requestBody.content["application/json"].schema);
    expect(Object.keys(mkdir.properties)).toEqual(["path", "existOk", "user"]);
    for (const [name, schema] of Object.entries(schemas)) {
      if (schema.type === "object" && schema.properties) expect(schema.additionalProperties, name).toBe(false);
    }
  });

  it("describes NDJSON request and response bodies with the message schema", () => {
    const write = op("post", "/v1/sandboxes/{sandbox_id}/files/write").requestBody;
    expect(write.required).toBe(true);
    expect(Object.keys(write.content)).toEqual(["application/x-ndjson"]);
    const line = resolve(write.content["application/x-ndjson"].schema);
    expect(line.required).toEqual(["path"]);
    expect(line.properties.data).toMatchObject({ type: "string", format: "byte" });
    expect(line.properties.sandboxId).toBeUndefined();
    const input = op("post", "/v1/sandboxes/{sandbox_id}/processes/input/stream").requestBody;
    expect(resolve(input.content["application/x-ndjson"].schema).required).toEqual(["process"]);
    const read = op("get", "/v1/sandboxes/{sandbox_id}/files/read").responses["200"].content["application/x-ndjson"].schema;
    expect(read.anyOf.map((s: any) => s.$ref)).toEqual([
      "#/components/schemas/wrenn.api.v1.ReadFileResponse",
      "#/components/schemas/StreamError",
    ]);
  });

  it("types fields as proto3 JSON writes them: int64 as strings, bytes as base64, enums by name", () => {
    const entry = schemas["wrenn.envd.v1.EntryInfo"];
    expect(entry.properties.size).toMatchObject({ type: "string", format: "uint64" });
    expect(entry.properties.mode).toMatchObject({ type: "integer", minimum: 0 });
    expect(entry.properties.modifiedAt).toEqual({ type: "string", format: "date-time" });
    expect(schemas["wrenn.api.v1.ReadFileResponse"].properties.data).toMatchObject({ type: "string", format: "byte" });
    expect(schemas["wrenn.api.v1.Sandbox"].properties.status.enum).toContain("SANDBOX_STATUS_RUNNING");
    // Responses always carry their implicit fields (the gateway emits defaults).
    expect(schemas["wrenn.api.v1.Sandbox"].required).toContain("status");
    expect(schemas["wrenn.api.v1.GetSandboxMetricsResponse"].required).toEqual(["cpuSeconds", "cpuCores", "memoryBytes", "diskBytes"]);
  });
});
