import { describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import { FileEventType, type FileEvent } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";
import { keyHeaders } from "../harness/api-key.js";

// Watching a directory through the public API on a real stack: the events a
// user's editor or file tree would need, over gRPC and as NDJSON over HTTP.
const ctx = useStackWithSandbox();

describe("watching a directory through the public API", () => {
  it("reports create, write, rename and remove below the directory, recursively", async () => {
    await ctx.client.run(ctx.sandboxId, "mkdir", ["-p", "/tmp/watched/sub"]);
    const leave = new AbortController();
    const events: FileEvent[] = [];
    const stream = ctx.client.filesystem.watchDir({ sandboxId: ctx.sandboxId, path: "/tmp/watched", recursive: true }, { signal: leave.signal });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.started).toBeDefined();

    await ctx.client.run(ctx.sandboxId, "sh", ["-c", "echo a > /tmp/watched/sub/a.txt && mv /tmp/watched/sub/a.txt /tmp/watched/b.txt && rm /tmp/watched/b.txt"]);
    try {
      while (!events.some((e) => e.type === FileEventType.FILE_EVENT_TYPE_REMOVE && e.name === "b.txt")) {
        const next = await iterator.next();
        if (next.done) break;
        if (next.value.file) events.push(next.value.file);
      }
    } finally {
      leave.abort();
    }
    expect(events.map((e) => `${FileEventType[e.type]} ${e.name}`)).toEqual([
      "FILE_EVENT_TYPE_CREATE sub/a.txt",
      "FILE_EVENT_TYPE_WRITE sub/a.txt",
      "FILE_EVENT_TYPE_RENAME sub/a.txt",
      "FILE_EVENT_TYPE_CREATE b.txt",
      "FILE_EVENT_TYPE_REMOVE b.txt",
    ]);
    expect(events.find((e) => e.name === "b.txt")?.path).toBe("/tmp/watched/b.txt");
  });

  it("a missing directory is NOT_FOUND, a missing path INVALID_ARGUMENT", async () => {
    const collect = async (path: string) => {
      for await (const _ of ctx.client.filesystem.watchDir({ sandboxId: ctx.sandboxId, path, recursive: false })) return;
    };
    await expect(collect("/tmp/no-such-dir")).rejects.toMatchObject({ code: Status.NOT_FOUND });
    await expect(collect("")).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
  });

  it("streams as NDJSON over HTTP until the caller leaves", async () => {
    await ctx.client.run(ctx.sandboxId, "mkdir", ["-p", "/tmp/http-watched"]);
    const leave = new AbortController();
    const res = await fetch(`${ctx.stack.httpUrl}/v1/sandboxes/${ctx.sandboxId}/files/watch?path=/tmp/http-watched`, { headers: keyHeaders(ctx.stack), signal: leave.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    const reader = res.body!.getReader();
    let text = "";
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}: ${text}`);
        text += Buffer.from(value).toString();
      }
    };
    await readUntil('"started"');
    await ctx.client.run(ctx.sandboxId, "touch", ["/tmp/http-watched/new.txt"]);
    await readUntil("new.txt");
    leave.abort();
    const file = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((l) => l.file)?.file;
    expect(file).toMatchObject({ name: "new.txt", path: "/tmp/http-watched/new.txt", type: "FILE_EVENT_TYPE_CREATE" });
  });
});
