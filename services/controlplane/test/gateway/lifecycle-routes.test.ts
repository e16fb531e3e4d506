/** The sandbox lifecycle RPCs over HTTP/JSON: bodies, path variables, status codes, forwarded headers. */
import { describe, expect, it } from "vitest";
import { httpCodeMetadataKey } from "@wrenn/shared";
import { postJson, readJson, useGateway } from "./gateway-fixture.js";

const gw = useGateway();
const post = (path: string, body: unknown, headers?: Record<string, string>) => postJson(gw.base, path, body, headers);

describe("sandbox lifecycle routes", () => {
  it("creates with POST body '*' and answers 202 from x-http-code", async () => {
    const res = await post("/v1/sandboxes", { templateId: "base", metadata: { owner: "alice" } });
    expect(res.status).toBe(202);
    expect(res.headers.get(httpCodeMetadataKey)).toBeNull();
    const body = await readJson(res);
    expect(body.sandbox.sandboxId).toMatch(/^sb-[0-9a-f]{32}$/);
    expect(body.sandbox.status).toBe("SANDBOX_STATUS_STARTING");
    expect(body.sandbox.metadata).toEqual({ owner: "alice" });
    expect(body.sandbox.createdAt).toBe("2026-01-02T03:04:05Z");
  });

  it("accepts snake_case field names as input", async () => {
    const res = await post("/v1/sandboxes", { template_id: "python", wait_ready: false });
    expect(res.status).toBe(202);
    expect((await readJson(res)).sandbox.templateId).toBe("python");
  });

  it("gets by path variable, lists, deletes, then 404s", async () => {
    const created = await readJson(await post("/v1/sandboxes", {}));
    const id = created.sandbox.sandboxId;

    const got = await fetch(`${gw.base}/v1/sandboxes/${id}`);
    expect(got.status).toBe(200);
    expect((await readJson(got)).sandbox.sandboxId).toBe(id);

    const list = await readJson(await fetch(`${gw.base}/v1/sandboxes`));
    expect(list.sandboxes.map((s: { sandboxId: string }) => s.sandboxId)).toContain(id);

    const del = await fetch(`${gw.base}/v1/sandboxes/${id}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    expect((await readJson(del)).sandbox.status).toBe("SANDBOX_STATUS_STOPPED");

    const gone = await fetch(`${gw.base}/v1/sandboxes/${id}`);
    expect(gone.status).toBe(404);
    expect(await readJson(gone)).toEqual({ code: "NOT_FOUND", message: `sandbox ${id} not found`, details: [] });
  });

  it("maps INVALID_ARGUMENT from the backend to 400", async () => {
    const res = await post("/v1/sandboxes", { templateId: "no-such-template" });
    expect(res.status).toBe(400);
    expect(await readJson(res)).toEqual({ code: "INVALID_ARGUMENT", message: 'unknown template "no-such-template"', details: [] });
  });

  it("passes authorization, cookie and x-* headers as metadata, nothing else, and the client's address in place of any sent", async () => {
    await post("/v1/sandboxes", {}, {
      authorization: "Bearer k-123", "x-request-id": "r-9", cookie: "wrenn_session=s1", "accept-language": "fr", "x-wrenn-client-ip": "203.0.113.9",
    });
    const md = gw.backend.seen.get("CreateSandbox")!;
    expect(md.get("authorization")).toBe("Bearer k-123");
    expect(md.get("x-request-id")).toBe("r-9");
    // The session cookie authenticates browser calls; the hook reads it from metadata.
    expect(md.get("cookie")).toBe("wrenn_session=s1");
    expect(md.has("accept-language")).toBe(false);
    expect(md.get("x-wrenn-client-ip")).toBe("127.0.0.1");
  });
});
