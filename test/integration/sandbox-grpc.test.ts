import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, Status } from "nice-grpc";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { keyHeaders } from "../harness/api-key.js";

let stack: Stack;
let client: WrennClient;

beforeAll(async () => {
  stack = await startStack();
  client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
});

afterAll(async () => {
  client?.close();
  await stack?.close();
});

async function expectStatus(promise: Promise<unknown>, code: Status): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected gRPC status ${Status[code]}`).toBeInstanceOf(ClientError);
  expect(Status[(err as ClientError).code]).toBe(Status[code]);
}

describe("a sandbox through the public gRPC API", () => {
  it("is created, runs a command with streamed output, reads and writes files, and is destroyed", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true, envs: { GREETING: "hi" } });
    expect(sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    const id = sandbox!.sandboxId;
    expect(id).toMatch(/^sb-[0-9a-f]{32}$/);

    const echo = await client.run(id, "echo", ["hello"]);
    expect(echo).toMatchObject({ stdout: "hello\n", stderr: "", exitCode: 0 });
    expect(echo.pid).toBeGreaterThan(0);

    const mixed = await client.run(id, "sh", ["-c", 'echo "$GREETING out"; echo err >&2; exit 7']);
    expect(mixed).toMatchObject({ stdout: "hi out\n", stderr: "err\n", exitCode: 7 });

    const hostname = await client.run(id, "hostname");
    expect(hostname.stdout.trim()).toBe(id);

    await client.filesystem.writeFile(
      (async function* () {
        yield { sandboxId: id, path: "/tmp/wrenn/note.txt", data: Buffer.from("written through the API\n") };
      })(),
    );
    const cat = await client.run(id, "cat", ["/tmp/wrenn/note.txt"]);
    expect(cat.stdout).toBe("written through the API\n");
    const chunks: Buffer[] = [];
    for await (const chunk of client.filesystem.readFile({ sandboxId: id, path: "/tmp/wrenn/note.txt" })) {
      chunks.push(Buffer.from(chunk.data));
    }
    expect(Buffer.concat(chunks).toString()).toBe("written through the API\n");
    const { entries } = await client.filesystem.listDir({ sandboxId: id, path: "/tmp/wrenn" });
    expect(entries.map((e) => e.name)).toEqual(["note.txt"]);

    const destroyed = await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
    expect(destroyed.sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
    // Readable while retained, but nothing runs in it any more.
    await expectStatus(client.run(id, "true"), Status.FAILED_PRECONDITION);
    // Nothing of the sandbox is left on the host.
    const sandboxesDir = join(stack.dataDir, "host", "sandboxes");
    expect(existsSync(sandboxesDir) ? readdirSync(sandboxesDir) : []).toEqual([]);
    expect(execFileSync("cat", ["/proc/mounts"]).toString()).not.toContain(join(stack.dataDir, "host"));
  });

  it("keeps the state of record in PostgreSQL and publishes lifecycle events to Redis", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ waitReady: true, metadata: { owner: "tests" } });
    const id = sandbox!.sandboxId;
    expect(sandbox!.metadata).toEqual({ owner: "tests" });

    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const uuid = id.slice(3).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
      const { rows } = await db.query("SELECT status FROM sandboxes WHERE id = $1", [uuid]);
      expect(rows).toEqual([{ status: "running" }]);
    } finally {
      await db.end();
    }

    const redis = new Redis(process.env.REDIS_URL!);
    try {
      const entries = await redis.xrange("wrenn:sandbox-events", "-", "+");
      // Events name the sandbox by UUID (the API by "sb-" and its hex digits).
      const forSandbox = entries.map(([, fields]) => fields.join(" ")).filter((text) => text.replaceAll("-", "").includes(id.slice(3)));
      expect(forSandbox.some((text) => text.includes("sandbox.running"))).toBe(true);
    } finally {
      redis.disconnect();
    }
    await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
  });

  it("answers at once with a starting sandbox unless asked to wait", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({});
    expect(sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_STARTING);
    const listed = await client.sandboxes.listSandboxes({});
    expect(listed.sandboxes.map((s) => s.sandboxId)).toContain(sandbox!.sandboxId);
    await client.sandboxes.destroySandbox({ sandboxId: sandbox!.sandboxId, wait: true });
  });

  it("gives NOT_FOUND for unknown sandboxes and INVALID_ARGUMENT for malformed requests", async () => {
    const unknown = `sb-${"0".repeat(32)}`;
    await expectStatus(client.sandboxes.getSandbox({ sandboxId: unknown }), Status.NOT_FOUND);
    await expectStatus(client.sandboxes.destroySandbox({ sandboxId: unknown }), Status.NOT_FOUND);
    await expectStatus(client.run(unknown, "echo"), Status.NOT_FOUND);
    await expectStatus(client.sandboxes.getSandbox({ sandboxId: "not-an-id" }), Status.INVALID_ARGUMENT);
    await expectStatus(client.sandboxes.createSandbox({ templateId: "../etc" }), Status.INVALID_ARGUMENT);
  });

  it("gives NOT_FOUND at create time for a template that does not exist, and makes no sandbox", async () => {
    const before = (await client.sandboxes.listSandboxes({})).sandboxes.map((s) => s.sandboxId);
    for (const waitReady of [true, false]) {
      const err = await client.sandboxes.createSandbox({ templateId: "no-such-template", waitReady }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ClientError);
      expect(Status[(err as ClientError).code]).toBe("NOT_FOUND");
      expect((err as ClientError).details).toBe('template "no-such-template" not found');
    }
    const after = (await client.sandboxes.listSandboxes({})).sandboxes.map((s) => s.sandboxId);
    expect(after).toEqual(before);
    const overHttp = await fetch(`${stack.httpUrl}/v1/sandboxes`, {
      method: "POST",
      headers: keyHeaders(stack, { "content-type": "application/json" }),
      body: JSON.stringify({ templateId: "no-such-template" }),
    });
    expect(overHttp.status).toBe(404);
  });
});
