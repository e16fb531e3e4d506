import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, httpCodeMetadataKey } from "@wrenn/shared";
import { createGateway, type Gateway } from "../../src/gateway/gateway.js";
import { startTestBackend, type TestBackend } from "./test-backend.js";

let backend: TestBackend;
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  backend = await startTestBackend();
  gateway = createGateway({
    grpcTarget: backend.address,
    logger: createLogger("gateway-test", { level: "silent" }),
    limits: { maxBodyBytes: 64 * 1024 },
  });
  base = `http://${await gateway.listen(0, "127.0.0.1")}`;
});

afterAll(async () => {
  await gateway?.close();
  await backend?.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

// Response bodies are whatever the gateway sent; tests inspect them loosely.
const readJson = (res: Response): Promise<any> => res.json();

async function ndjson(res: Response): Promise<Record<string, any>[]> {
  const text = await res.text();
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

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

    const got = await fetch(`${base}/v1/sandboxes/${id}`);
    expect(got.status).toBe(200);
    expect((await readJson(got)).sandbox.sandboxId).toBe(id);

    const list = await readJson(await fetch(`${base}/v1/sandboxes`));
    expect(list.sandboxes.map((s: { sandboxId: string }) => s.sandboxId)).toContain(id);

    const del = await fetch(`${base}/v1/sandboxes/${id}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    expect((await readJson(del)).sandbox.status).toBe("SANDBOX_STATUS_STOPPED");

    const gone = await fetch(`${base}/v1/sandboxes/${id}`);
    expect(gone.status).toBe(404);
    expect(await readJson(gone)).toEqual({ code: "NOT_FOUND", message: `sandbox ${id} not found`, details: [] });
  });

  it("maps INVALID_ARGUMENT from the backend to 400", async () => {
    const res = await post("/v1/sandboxes", { templateId: "no-such-template" });
    expect(res.status).toBe(400);
    expect(await readJson(res)).toEqual({ code: "INVALID_ARGUMENT", message: 'unknown template "no-such-template"', details: [] });
  });

  it("passes authorization and x-* headers as metadata, and nothing else", async () => {
    await post("/v1/sandboxes", {}, { authorization: "Bearer k-123", "x-request-id": "r-9", cookie: "s=1" });
    const md = backend.seen.get("CreateSandbox")!;
    expect(md.get("authorization")).toBe("Bearer k-123");
    expect(md.get("x-request-id")).toBe("r-9");
    expect(md.has("cookie")).toBe(false);
  });
});

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
    const missing = await fetch(`${base}/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect((await readJson(missing)).code).toBe("NOT_FOUND");

    const wrong = await fetch(`${base}/v1/sandboxes`, { method: "PUT", body: "{}" });
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
      const before = backend.seen.get("CreateSandbox");
      const res = await post("/v1/sandboxes", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = await readJson(res);
      expect(error.code).toBe("INVALID_ARGUMENT");
      expect(error.message).toMatch(/^body\.\w+.* must be .*, got null$/);
      expect(backend.seen.get("CreateSandbox")).toBe(before); // never reached the backend
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
    const res = await fetch(`${base}/v1/sandboxes/sb-1/processes/close-stdin`, { method: "GET" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    const kill = await fetch(`${base}/v1/sandboxes/sb-1/processes/close-stdin`, { method: "DELETE" });
    expect(kill.status).toBe(405);
    expect(kill.headers.get("allow")).toBe("POST");
  });

  it("refuses a unary body over the limit with 413 RESOURCE_EXHAUSTED", async () => {
    const res = await post("/v1/sandboxes", { templateId: "x".repeat(100 * 1024) });
    expect(res.status).toBe(413);
    expect((await readJson(res)).code).toBe("RESOURCE_EXHAUSTED");
  });

  it("coerces query parameters by field kind and rejects bad ones", async () => {
    const ok = await fetch(`${base}/v1/sandboxes/sb-1/files/list?path=/home&depth=2&user=root`);
    expect(ok.status).toBe(200);
    expect((await readJson(ok)).entries[0].path).toBe("/home/depth-2-user-root");

    const bad = await fetch(`${base}/v1/sandboxes/sb-1/files/list?path=/home&depth=deep`);
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).message).toContain("depth");

    const unknown = await fetch(`${base}/v1/sandboxes/sb-1/files/list?path=/home&colour=blue`);
    expect(unknown.status).toBe(400);
  });
});

describe("streaming", () => {
  it("streams StartProcess events as NDJSON, path variable and body field merged", async () => {
    const res = await post("/v1/sandboxes/sb-1/processes", { process: { cmd: "echo", args: ["hi"] }, tag: "t1" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const lines = await ndjson(res);
    expect(lines.map((l) => Object.keys(l.event)[0])).toEqual(["start", "data", "data", "end"]);
    expect(lines[0].event.start).toEqual({ pid: 42, tag: "t1" });
    expect(Buffer.from(lines[1].event.data.stdout, "base64").toString()).toBe("echo hi\n");
    expect(Buffer.from(lines[2].event.data.stderr, "base64").toString()).toBe("warn\n");
    expect(lines[3].event.end).toMatchObject({ exitCode: 0, exited: true });
  });

  it("flushes each event as it happens, before the stream ends", async () => {
    const res = await post("/v1/sandboxes/sb-1/processes", { process: { cmd: "gated" } });
    const reader = res.body!.getReader();
    const first = await reader.read(); // would hang if the gateway buffered the whole stream
    expect(new TextDecoder().decode(first.value)).toContain('"start"');
    backend.openGate();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toContain('"end"');
  });

  it("answers an error before the first event with its HTTP status", async () => {
    const res = await post("/v1/sandboxes/sb-404/processes", { process: { cmd: "echo" } });
    expect(res.status).toBe(404);
    expect((await readJson(res)).code).toBe("NOT_FOUND");
  });

  it("ends with an error line when the stream fails midway", async () => {
    const res = await post("/v1/sandboxes/sb-1/processes", { process: { cmd: "fail-midway" } });
    expect(res.status).toBe(200);
    const lines = await ndjson(res);
    expect(lines[0].event.start.pid).toBe(42);
    expect(lines.at(-1)).toEqual({
      error: { code: "FAILED_PRECONDITION", message: "sandbox stopped while the process ran" },
    });
  });

  it("cancels the gRPC call when the HTTP client disconnects", async () => {
    const res = await post("/v1/sandboxes/sb-1/processes", { process: { cmd: "forever" } });
    const reader = res.body!.getReader();
    await reader.read();
    expect(await backend.waitCancelled("StartProcess", 100)).toBe(false);
    await reader.cancel();
    expect(await backend.waitCancelled("StartProcess", 3000)).toBe(true);
  });

  it("writes a file from an NDJSON body sent line by line, path variables in every message", async () => {
    const encoder = new TextEncoder();
    let sendSecond!: () => void;
    const secondAllowed = new Promise<void>((r) => (sendSecond = r));
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode(JSON.stringify({ path: "/w.txt", data: Buffer.from("hello ").toString("base64") }) + "\n"));
        await secondAllowed;
        controller.enqueue(encoder.encode(JSON.stringify({ data: Buffer.from("world").toString("base64") }) + "\n"));
        controller.close();
      },
    });
    backend.writes.length = 0;
    const pending = fetch(`${base}/v1/sandboxes/sb-1/files/write`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body,
      duplex: "half",
    } as RequestInit);
    // The first message reaches the backend while the body is still open.
    for (let i = 0; i < 100 && backend.writes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(backend.writes).toHaveLength(1);
    sendSecond();
    const res = await pending;
    expect(res.status).toBe(200);
    expect((await readJson(res)).entry).toMatchObject({ path: "/w.txt", size: "11" }); // int64 is a string in proto3 JSON
    expect(backend.writes.map((w) => w.sandboxId)).toEqual(["sb-1", "sb-1"]);
    expect(backend.files.get("/w.txt")?.toString()).toBe("hello world");
  });

  it("answers WriteFile with the backend's error when it fails before the body ends", async () => {
    const line = JSON.stringify({ path: "/x", data: Buffer.alloc(1024).toString("base64") }) + "\n";
    const res = await fetch(`${base}/v1/sandboxes/sb-2/files/write`, { method: "POST", body: line.repeat(2000) });
    expect(res.status).toBe(404);
    expect(await readJson(res)).toEqual({ code: "NOT_FOUND", message: "sandbox sb-2 not found", details: [] });
  });

  it("reports a bad NDJSON line in a WriteFile body as 400", async () => {
    const res = await fetch(`${base}/v1/sandboxes/sb-1/files/write`, {
      method: "POST",
      body: `{"path":"/x","data":""}\n{oops\n`,
    });
    expect(res.status).toBe(400);
    expect((await readJson(res)).message).toContain("line 2");
  });

  it("streams ReadFile bytes as base64 lines", async () => {
    backend.files.set("/r.txt", Buffer.from("0123456789"));
    const res = await fetch(`${base}/v1/sandboxes/sb-1/files/read?path=/r.txt`);
    expect(res.status).toBe(200);
    const lines = await ndjson(res);
    expect(lines).toHaveLength(3);
    expect(Buffer.concat(lines.map((l) => Buffer.from(l.data, "base64"))).toString()).toBe("0123456789");
  });

  it("stops pulling from gRPC while the HTTP client does not read, and cancels on disconnect", async () => {
    const res = await fetch(`${base}/v1/sandboxes/sb-1/files/read?path=/big`);
    const reader = res.body!.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 500));
    // 100 000 chunks of 64 KiB are available; an unread client holds back all but buffers' worth.
    const produced = backend.bigProduced;
    expect(produced).toBeLessThan(500);
    await new Promise((r) => setTimeout(r, 300));
    expect(backend.bigProduced - produced).toBeLessThan(50);
    await reader.cancel();
    expect(await backend.waitCancelled("ReadFile", 3000)).toBe(true);
  });
});

describe("service routes", () => {
  it("serves /healthz", async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({ status: "ok" });
  });

  it("lists every annotated route in /openapi.json", async () => {
    const doc = await readJson(await fetch(`${base}/openapi.json`));
    const ops = Object.entries(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([m, op]) => `${m.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(ops.sort()).toEqual(
      [
        "POST /v1/sandboxes CreateSandbox",
        "GET /v1/sandboxes/{sandbox_id} GetSandbox",
        "GET /v1/sandboxes ListSandboxes",
        "DELETE /v1/sandboxes/{sandbox_id} DestroySandbox",
        "POST /v1/sandboxes/{sandbox_id}/processes StartProcess",
        "GET /v1/sandboxes/{sandbox_id}/processes ListProcesses",
        "POST /v1/sandboxes/{sandbox_id}/processes/connect ConnectProcess",
        "POST /v1/sandboxes/{sandbox_id}/processes/input SendProcessInput",
        "POST /v1/sandboxes/{sandbox_id}/processes/input/stream StreamProcessInput",
        "POST /v1/sandboxes/{sandbox_id}/processes/close-stdin CloseProcessStdin",
        "POST /v1/sandboxes/{sandbox_id}/processes/signal SignalProcess",
        "DELETE /v1/sandboxes/{sandbox_id}/processes/{selector} KillProcess",
        "POST /v1/sandboxes/{sandbox_id}/processes/update UpdateProcess",
        "GET /v1/sandboxes/{sandbox_id}/files/stat StatFile",
        "GET /v1/sandboxes/{sandbox_id}/files/list ListDir",
        "POST /v1/sandboxes/{sandbox_id}/files/mkdir MakeDir",
        "POST /v1/sandboxes/{sandbox_id}/files/move MoveFile",
        "DELETE /v1/sandboxes/{sandbox_id}/files RemoveFile",
        "GET /v1/sandboxes/{sandbox_id}/files/read ReadFile",
        "POST /v1/sandboxes/{sandbox_id}/files/write WriteFile",
        "GET /v1/sandboxes/{sandbox_id}/files/watch WatchDir",
        "GET /v1/sandboxes/{sandbox_id}/ports ListPorts",
        "GET /v1/sandboxes/{sandbox_id}/ports/watch WatchPorts",
        "POST /v1/sandboxes/{sandbox_id}/pause PauseSandbox",
        "POST /v1/sandboxes/{sandbox_id}/resume ResumeSandbox",
        "POST /v1/sandboxes/{sandbox_id}/timeout SetSandboxTimeout",
        "GET /v1/sandboxes/{sandbox_id}/metrics GetSandboxMetrics",
      ].sort(),
    );
    const list = doc.paths["/v1/sandboxes/{sandbox_id}/files/list"].get;
    expect(list.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual([
      "path:sandbox_id",
      "query:path",
      "query:depth",
      "query:user",
    ]);
    expect(doc.components.schemas["wrenn.api.v1.Sandbox"].properties.status.enum).toContain("SANDBOX_STATUS_RUNNING");
  });
});
