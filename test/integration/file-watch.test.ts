import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { FileEventType, type FileEvent } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";

// Watching a directory through the public API on a real stack: the events a
// user's editor or file tree would need, over gRPC and as NDJSON over HTTP.
let stack: Stack;
let client: WrennClient;
let sandboxId: string;

beforeAll(async () => {
  stack = await startStack();
  client = createWrennClient(stack.grpcAddress);
  const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
  expect(sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
  sandboxId = sandbox!.sandboxId;
});

afterAll(async () => {
  if (sandboxId) await client.sandboxes.destroySandbox({ sandboxId, wait: true }).catch(() => undefined);
  client?.close();
  await stack?.close();
});

describe("watching a directory through the public API", () => {
  it("reports create, write, rename and remove below the directory, recursively", async () => {
    await client.run(sandboxId, "mkdir", ["-p", "/tmp/watched/sub"]);
    const leave = new AbortController();
    const events: FileEvent[] = [];
    const stream = client.filesystem.watchDir({ sandboxId, path: "/tmp/watched", recursive: true }, { signal: leave.signal });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.started).toBeDefined();

    await client.run(sandboxId, "sh", ["-c", "echo a > /tmp/watched/sub/a.txt && mv /tmp/watched/sub/a.txt /tmp/watched/b.txt && rm /tmp/watched/b.txt"]);
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
      for await (const _ of client.filesystem.watchDir({ sandboxId, path, recursive: false })) return;
    };
    await expect(collect("/tmp/no-such-dir")).rejects.toMatchObject({ code: Status.NOT_FOUND });
    await expect(collect("")).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
  });

  it("streams as NDJSON over HTTP until the caller leaves", async () => {
    await client.run(sandboxId, "mkdir", ["-p", "/tmp/http-watched"]);
    const leave = new AbortController();
    const res = await fetch(`${stack.httpUrl}/v1/sandboxes/${sandboxId}/files/watch?path=/tmp/http-watched`, { signal: leave.signal });
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
    await client.run(sandboxId, "touch", ["/tmp/http-watched/new.txt"]);
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
