/** What the gateway refuses before (or instead of) calling gRPC, and with which status. */
import { describe, expect, it } from "vitest";
import { postJson, readJson, useGateway } from "./gateway-fixture.js";

const gw = useGateway();
const post = (path: string, body: unknown, headers?: Record<string, string>) => postJson(gw.base, path, body, headers);

describe("request errors", () => {
  it("rejects malformed JSON with 400 INVALID_ARGUMENT", async () => {
    const res = await post("/v1/sandboxes", "{not json");
    expect(res.status).toBe(400);
    const body = await readJson(res);
    expect(body.code).toBe("INVALID_ARGUMENT");
    expect(body.message).toMatch(/malformed JSON/);
  });

  it("rejects unknown JSON fields with 400 naming the field", async () => {
    const res = await post("/v1/sandboxes", { templateId: "base", colour: "blue" });
    expect(res.status).toBe(400);
    const body = await readJson(res);
    expect(body.code).toBe("INVALID_ARGUMENT");
    expect(body.message).toContain('"colour"');
  });

  it("answers 404 NOT_FOUND for an unknown route and 405 for a wrong method", async () => {
    const missing = await fetch(`${gw.base}/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect((await readJson(missing)).code).toBe("NOT_FOUND");

    const wrong = await fetch(`${gw.base}/v1/sandboxes`, { method: "PUT", body: "{}" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, POST");
  });

  it("answers null for a field that is not nullable with 400 naming the field", async () => {
    for (const body of [
      { templateId: null },
      { waitReady: null },
      { timeoutSeconds: null },
      { onExpiry: null },
      { egress: null },
      { metadata: null },
      { metadata: { owner: null } },
      { egress: { mode: "MODE_ALLOW_LIST", allowedCidrs: [null] } },
    ]) {
      const before = gw.backend.seen.get("CreateSandbox");
      const res = await post("/v1/sandboxes", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = await readJson(res);
      expect(error.code).toBe("INVALID_ARGUMENT");
      expect(error.message).toMatch(/^body\.\w+.* must be .*, got null$/);
      expect(gw.backend.seen.get("CreateSandbox")).toBe(before); // never reached the backend
    }
    const nested = await post(`/v1/sandboxes/sb-1/processes`, { process: { cmd: "ls", args: ["-l", null] } });
    expect(nested.status).toBe(400);
    expect((await readJson(nested)).message).toBe("body.process.args[1] must be a string, got null");
  });

  it("answers wrong JSON types with 400, taking each field in its canonical proto3 JSON form only", async () => {
    for (const [body, field] of [
      [{ templateId: 7 }, "templateId"],
      [{ waitReady: "true" }, "waitReady"],
      [{ timeoutSeconds: "5" }, "timeoutSeconds"],
      [{ timeoutSeconds: 1.5 }, "timeoutSeconds"],
      [{ onExpiry: 1 }, "onExpiry"],
      [{ metadata: ["a"] }, "metadata"],
      [{ metadata: { a: 1 } }, "metadata"],
      [{ egress: "MODE_DENY_ALL" }, "egress"],
    ] as const) {
      const res = await post("/v1/sandboxes", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await readJson(res)).message).toContain(`body.${field}`);
    }
    expect((await post("/v1/sandboxes", { timeoutSeconds: 5, onExpiry: "EXPIRY_ACTION_KILL" })).status).toBe(202);
  });

  it("refuses a path-bound field in the body", async () => {
    const res = await post("/v1/sandboxes/sb-1/files/mkdir", { sandboxId: "sb-2", path: "/a" });
    expect(res.status).toBe(400);
    expect((await readJson(res)).message).toContain("sandbox_id is given by the path");
  });

  it("lists only the matching template's methods in Allow (a literal segment is never a variable)", async () => {
    const res = await fetch(`${gw.base}/v1/sandboxes/sb-1/processes/close-stdin`, { method: "GET" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    const kill = await fetch(`${gw.base}/v1/sandboxes/sb-1/processes/close-stdin`, { method: "DELETE" });
    expect(kill.status).toBe(405);
    expect(kill.headers.get("allow")).toBe("POST");
  });

  it("refuses a unary body over the limit with 413 RESOURCE_EXHAUSTED", async () => {
    const res = await post("/v1/sandboxes", { templateId: "x".repeat(100 * 1024) });
    expect(res.status).toBe(413);
    expect((await readJson(res)).code).toBe("RESOURCE_EXHAUSTED");
  });

  it("coerces query parameters by field kind and rejects bad ones", async () => {
    const ok = await fetch(`${gw.base}/v1/sandboxes/sb-1/files/list?path=/home&depth=2&user=root`);
    expect(ok.status).toBe(200);
    expect((await readJson(ok)).entries[0].path).toBe("/home/depth-2-user-root");

    const bad = await fetch(`${gw.base}/v1/sandboxes/sb-1/files/list?path=/home&depth=deep`);
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).message).toContain("depth");

    const unknown = await fetch(`${gw.base}/v1/sandboxes/sb-1/files/list?path=/home&colour=blue`);
    expect(unknown.status).toBe(400);
  });
});
