/** Server and client streams as NDJSON: flushing, errors midway, cancellation, back-pressure. */
import { describe, expect, it } from "vitest";
import { ndjson, postJson, readJson, useGateway } from "./gateway-fixture.js";

const gw = useGateway();
const post = (path: string, body: unknown, headers?: Record<string, string>) => postJson(gw.base, path, body, headers);

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
    gw.backend.openGate();
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
    expect(gw.backend.cancelled.has("StartProcess")).toBe(false);
    await reader.cancel();
    await expect.poll(() => gw.backend.cancelled.has("StartProcess")).toBe(true);
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
    gw.backend.writes.length = 0;
    const pending = fetch(`${gw.base}/v1/sandboxes/sb-1/files/write`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body,
      duplex: "half",
    } as RequestInit);
    // The first message reaches the backend while the body is still open.
    await expect.poll(() => gw.backend.writes.length).toBe(1);
    sendSecond();
    const res = await pending;
    expect(res.status).toBe(200);
    expect((await readJson(res)).entry).toMatchObject({ path: "/w.txt", size: "11" }); // int64 is a string in proto3 JSON
    expect(gw.backend.writes.map((w) => w.sandboxId)).toEqual(["sb-1", "sb-1"]);
    expect(gw.backend.files.get("/w.txt")?.toString()).toBe("hello world");
  });

  it("answers WriteFile with the backend's error when it fails before the body ends", async () => {
    const line = JSON.stringify({ path: "/x", data: Buffer.alloc(1024).toString("base64") }) + "\n";
    const res = await fetch(`${gw.base}/v1/sandboxes/sb-2/files/write`, { method: "POST", body: line.repeat(2000) });
    expect(res.status).toBe(404);
    expect(await readJson(res)).toEqual({ code: "NOT_FOUND", message: "sandbox sb-2 not found", details: [] });
  });

  it("reports a bad NDJSON line in a WriteFile body as 400", async () => {
    const res = await fetch(`${gw.base}/v1/sandboxes/sb-1/files/write`, {
      method: "POST",
      body: `{"path":"/x","data":""}\n{oops\n`,
    });
    expect(res.status).toBe(400);
    expect((await readJson(res)).message).toContain("line 2");
  });

  it("streams ReadFile bytes as base64 lines", async () => {
    gw.backend.files.set("/r.txt", Buffer.from("0123456789"));
    const res = await fetch(`${gw.base}/v1/sandboxes/sb-1/files/read?path=/r.txt`);
    expect(res.status).toBe(200);
    const lines = await ndjson(res);
    expect(lines).toHaveLength(3);
    expect(Buffer.concat(lines.map((l) => Buffer.from(l.data, "base64"))).toString()).toBe("0123456789");
  });

  it("stops pulling from gRPC while the HTTP client does not read, and cancels on disconnect", async () => {
    const res = await fetch(`${gw.base}/v1/sandboxes/sb-1/files/read?path=/big`);
    const reader = res.body!.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 500));
    // 100 000 chunks of 64 KiB are available; an unread client holds back all but buffers' worth.
    const produced = gw.backend.bigProduced;
    expect(produced).toBeLessThan(500);
    await new Promise((r) => setTimeout(r, 300));
    expect(gw.backend.bigProduced - produced).toBeLessThan(50);
    await reader.cancel();
    await expect.poll(() => gw.backend.cancelled.has("ReadFile")).toBe(true);
  });
});
