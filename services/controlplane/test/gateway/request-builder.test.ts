import { describe, expect, it } from "vitest";
import { descriptorSetBase64 } from "@wrenn/gen/descriptor.js";
import { buildRouteTable, loadRegistry } from "../../src/gateway/routes.js";
import { buildRequestJson, decodeMessage, encodeMessage } from "../../src/gateway/request-builder.js";
import { GatewayError } from "../../src/gateway/gateway-error.js";

const registry = loadRegistry(descriptorSetBase64);
const { routes } = buildRouteTable(registry, "wrenn.api.v1");
const route = (name: string) => routes.find((r) => r.method.name === name)!;
const vars = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe("request building", () => {
  it("refuses a field the path binds when the body names it too, under either spelling", () => {
    for (const key of ["sandbox_id", "sandboxId"]) {
      expect(() =>
        buildRequestJson(route("MakeDir"), { pathVars: vars({ sandbox_id: "sb-path" }), query: "", body: { [key]: "sb-body", path: "/a" } }),
      ).toThrow(/sandbox_id is given by the path/);
    }
    const json = buildRequestJson(route("MakeDir"), { pathVars: vars({ sandbox_id: "sb-path" }), query: "", body: { path: "/a", existOk: true } });
    expect(json).toEqual({ sandboxId: "sb-path", path: "/a", existOk: true });
  });

  it("puts the body into the named field and query parameters into nested fields", () => {
    const r = route("StartProcess");
    const json = buildRequestJson(r, {
      pathVars: vars({ sandbox_id: "sb-1" }),
      query: "",
      body: { process: { cmd: "ls", args: ["-l"] } },
    });
    expect(json).toEqual({ start: { process: { cmd: "ls", args: ["-l"] } }, sandboxId: "sb-1" });
    const bytes = encodeMessage(r.input, json, registry);
    expect(decodeMessage(r.input, bytes, registry)).toMatchObject({ sandboxId: "sb-1", start: { process: { cmd: "ls", args: ["-l"] } } });
  });

  it("refuses query parameters for fields the path or the body binds", () => {
    const start = { pathVars: vars({ sandbox_id: "sb-1" }), body: undefined };
    expect(() => buildRequestJson(route("StartProcess"), { ...start, query: "start.process.cmd=ls" })).toThrow(/start is given by the body/);
    expect(() => buildRequestJson(route("ListDir"), { ...start, query: "path=/&sandbox_id=sb-2" })).toThrow(/sandbox_id is given by the path/);
  });

  it("reads query numbers as the document types them, and only those", () => {
    const list = (query: string) => buildRequestJson(route("ListDir"), { pathVars: vars({ sandbox_id: "sb-1" }), query, body: undefined });
    expect(list("path=/tmp&depth=3")).toEqual({ sandboxId: "sb-1", path: "/tmp", depth: 3 });
    for (const bad of ["0x10", "1e3", " 7", "1.5", ""]) expect(() => list(`path=/&depth=${encodeURIComponent(bad)}`)).toThrow(/decimal integer/);
  });

  it("coerces booleans and refuses a singular field given twice", () => {
    const json = buildRequestJson(route("DestroySandbox"), { pathVars: vars({ sandbox_id: "sb-1" }), query: "wait=true", body: undefined });
    expect(json).toEqual({ sandboxId: "sb-1", wait: true });
    for (const bad of ["maybe", "1", "0", "TRUE"]) {
      expect(() => buildRequestJson(route("DestroySandbox"), { pathVars: vars({}), query: `wait=${bad}`, body: undefined })).toThrow(GatewayError);
    }
    expect(() => buildRequestJson(route("ListDir"), { pathVars: vars({}), query: "path=a&path=b", body: undefined })).toThrow(/more than once/);
  });

  it("refuses query parameters on body '*' routes and non-object bodies", () => {
    expect(() => buildRequestJson(route("CreateSandbox"), { pathVars: vars({}), query: "x=1", body: {} })).toThrow(/no query parameters/);
    expect(() => buildRequestJson(route("CreateSandbox"), { pathVars: vars({}), query: "", body: [1] })).toThrow(/JSON object/);
  });

  it("reports type errors from the JSON mapping as INVALID_ARGUMENT", () => {
    const r = route("ListDir");
    expect(() => encodeMessage(r.input, { depth: "deep" }, registry)).toThrow(GatewayError);
    expect(() => encodeMessage(r.input, { depth: -1 }, registry)).toThrow(/depth/);
  });
});
