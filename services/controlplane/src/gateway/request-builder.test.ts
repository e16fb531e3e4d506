import { describe, expect, it } from "vitest";
import { descriptorSetBase64 } from "@wrenn/gen/descriptor.js";
import { buildRouteTable, loadRegistry } from "./routes.js";
import { buildRequestJson, decodeMessage, encodeMessage } from "./request-builder.js";
import { GatewayError } from "./gateway-error.js";

const registry = loadRegistry(descriptorSetBase64);
const { routes } = buildRouteTable(registry, "wrenn.api.v1");
const route = (name: string) => routes.find((r) => r.method.name === name)!;
const vars = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe("request building", () => {
  it("lets path variables win over the body, under either spelling", () => {
    const json = buildRequestJson(route("MakeDir"), {
      pathVars: vars({ sandbox_id: "sb-path" }),
      query: "",
      body: { sandbox_id: "sb-body", path: "/a", existOk: true },
    });
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

  it("maps dotted and repeated query parameters", () => {
    // StartProcess binds its body to "start"; query parameters reach the rest, nested by dots.
    const json = buildRequestJson(route("StartProcess"), {
      pathVars: vars({ sandbox_id: "sb-1" }),
      query: "start.process.cmd=ls&start.process.args=-l&start.process.args=%2Ftmp&start.timeout_ms=500",
      body: undefined,
    });
    expect(json).toEqual({ sandboxId: "sb-1", start: { process: { cmd: "ls", args: ["-l", "/tmp"] }, timeoutMs: "500" } });
    const r = route("StartProcess");
    const decoded = decodeMessage(r.input, encodeMessage(r.input, json, registry), registry) as Record<string, any>;
    expect(decoded.start.timeoutMs).toBe(500);
  });

  it("coerces booleans and refuses a singular field given twice", () => {
    const json = buildRequestJson(route("DestroySandbox"), { pathVars: vars({ sandbox_id: "sb-1" }), query: "wait=true", body: undefined });
    expect(json).toEqual({ sandboxId: "sb-1", wait: true });
    expect(() => buildRequestJson(route("DestroySandbox"), { pathVars: vars({}), query: "wait=maybe", body: undefined })).toThrow(GatewayError);
    expect(() => buildRequestJson(route("GetSandbox"), { pathVars: vars({}), query: "sandbox_id=a&sandbox_id=b", body: undefined })).toThrow(
      /more than once/,
    );
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
