import { testDatabaseUrl } from "./support/test-database.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, Metadata, Status } from "nice-grpc";
import { randomBytes } from "node:crypto";
import { SandboxStatus, type Sandbox } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { fromWireId, toWireId, httpCodeMetadataKey } from "@wrenn/shared";
import { createSandboxRepository } from "../src/db/sandbox-repository.js";
import { warnIfNoDatabase } from "./support/test-database.js";
import { startFakeHostAgent, type FakeHostAgent } from "./support/fake-host-agent.js";
import { startTestControlPlane, type TestControlPlane } from "./support/test-controlplane.js";
import { addTemplateRow } from "./support/test-templates.js";

warnIfNoDatabase("controlplane service tests");

async function grpcError(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ClientError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

describe.skipIf(!testDatabaseUrl)("controlplane over gRPC (PostgreSQL, fake host agent)", () => {
  let host: FakeHostAgent;
  let cp: TestControlPlane;

  beforeAll(async () => {
    host = await startFakeHostAgent();
    cp = await startTestControlPlane({ hostAgentUrl: host.address });
    // A platform template the host fails to start sandboxes from.
    await addTemplateRow(cp.running.context.pool, { name: "broken", hostTemplateId: "broken" });
  });
  afterAll(async () => {
    await cp?.close();
    await host?.close();
  });

  /** Creates a sandbox and returns it with the x-http-code header it was answered with. */
  async function create(request: Parameters<TestControlPlane["sandboxes"]["createSandbox"]>[0]) {
    let httpCode: string | undefined;
    const response = await cp.sandboxes.createSandbox(request, { onHeader: (h: Metadata) => (httpCode = h.get(httpCodeMetadataKey)) });
    return { sandbox: response.sandbox!, httpCode };
  }

  /** The sandbox once GetSandbox shows it in `status` (the background work reaching the row). */
  async function settledIn(sandboxId: string, status: SandboxStatus): Promise<Sandbox> {
    const read = async () => (await cp.sandboxes.getSandbox({ sandboxId })).sandbox!;
    await expect.poll(async () => (await read()).status, { timeout: 10_000 }).toBe(status);
    return read();
  }

  it("answers a create at once (202, starting), then the sandbox becomes running on the host", async () => {
    const secret = `s3cr3t-${randomBytes(8).toString("hex")}`;
    const { sandbox, httpCode } = await create({ templateId: "", metadata: { owner: "ana" }, envs: { API_TOKEN: secret }, waitReady: false });
    expect(httpCode).toBe("202");
    expect(sandbox.status).toBe(SandboxStatus.SANDBOX_STATUS_STARTING);
    expect(sandbox).toMatchObject({ templateId: "base", metadata: { owner: "ana" }, error: "" });
    expect(sandbox.sandboxId).toMatch(/^sb-[0-9a-f]{32}$/);
    expect(sandbox.hostId).toBe(host.hostId);

    const running = await settledIn(sandbox.sandboxId, SandboxStatus.SANDBOX_STATUS_RUNNING);
    expect(running.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    expect(host.sandboxes.get(sandbox.sandboxId)?.envs).toEqual({ API_TOKEN: secret });
    // The env value went to the host and nowhere else.
    expect(cp.logs.join("")).not.toContain(secret);
    const row = await createSandboxRepository(cp.running.context.pool).get(fromWireId("sb", sandbox.sandboxId));
    expect(JSON.stringify(row)).not.toContain(secret);
  });

  it("waits for a running sandbox when wait_ready is set and answers 200", async () => {
    const { sandbox, httpCode } = await create({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    expect(httpCode).toBeUndefined();
    expect(sandbox.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
  });

  it("answers NOT_FOUND for a template no host has, before any sandbox exists", async () => {
    const before = (await cp.sandboxes.listSandboxes({})).sandboxes.length;
    const err = await grpcError(cp.sandboxes.createSandbox({ templateId: "no-such-template", metadata: {}, envs: {}, waitReady: true }));
    expect(err.code).toBe(Status.NOT_FOUND);
    expect(err.details).toBe('template "no-such-template" not found');
    expect((await cp.sandboxes.listSandboxes({})).sandboxes.length).toBe(before);
  });

  it("shows what the host gave a sandbox once it runs", async () => {
    const { sandbox } = await create({ templateId: "base", metadata: {}, envs: {}, waitReady: false });
    expect(sandbox.resources).toBeUndefined();
    const running = await settledIn(sandbox.sandboxId, SandboxStatus.SANDBOX_STATUS_RUNNING);
    expect(running.resources).toEqual({ vcpus: 1, memoryMib: 256, diskMib: 1024 });
  });

  it("gives each sandbox its own traffic token and keeps its proxy settings", async () => {
    const { sandbox: open } = await create({ templateId: "base", metadata: {}, envs: {}, waitReady: false, publicPorts: true, autoResume: true });
    const { sandbox: closed } = await create({ templateId: "base", metadata: {}, envs: {}, waitReady: false });
    expect(open).toMatchObject({ publicPorts: true, autoResume: true });
    expect(closed).toMatchObject({ publicPorts: false, autoResume: false });
    expect(open.trafficToken).toMatch(/^wrt_[A-Za-z0-9_-]{32}$/);
    expect(closed.trafficToken).toMatch(/^wrt_[A-Za-z0-9_-]{32}$/);
    expect(open.trafficToken).not.toBe(closed.trafficToken);
    // Read back by its team, as made.
    expect((await cp.sandboxes.getSandbox({ sandboxId: open.sandboxId })).sandbox).toMatchObject({
      trafficToken: open.trafficToken, publicPorts: true, autoResume: true,
    });
  });

  it("marks the sandbox error with the host's reason when the host can't start it", async () => {
    const { sandbox } = await create({ templateId: "broken", metadata: {}, envs: {}, waitReady: true });
    expect(sandbox.status).toBe(SandboxStatus.SANDBOX_STATUS_ERROR);
    expect(sandbox.error).toBe("template broken has no root filesystem");
  });

  it("rejects bad input before touching the host", async () => {
    const before = host.sandboxes.size;
    const err = await grpcError(cp.sandboxes.createSandbox({ templateId: "../x", metadata: {}, envs: {}, waitReady: false }));
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^template_id must/);
    expect(host.sandboxes.size).toBe(before);
  });

  it("answers NOT_FOUND for unknown ids and INVALID_ARGUMENT for malformed ones", async () => {
    const unknown = toWireId("sb", "00000000-0000-4000-8000-000000000000");
    expect((await grpcError(cp.sandboxes.getSandbox({ sandboxId: unknown }))).code).toBe(Status.NOT_FOUND);
    expect((await grpcError(cp.sandboxes.destroySandbox({ sandboxId: unknown, wait: false }))).code).toBe(Status.NOT_FOUND);
    const malformed = await grpcError(cp.sandboxes.getSandbox({ sandboxId: "sb-nope" }));
    expect(malformed.code).toBe(Status.INVALID_ARGUMENT);
    expect(malformed.details).toMatch(/^sandbox_id must look like "sb-"/);
  });

  it("destroys in the background (202, stopping → stopped), and destroying again returns it as is (200)", async () => {
    const { sandbox } = await create({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    let httpCode: string | undefined;
    const { sandbox: stopping } = await cp.sandboxes.destroySandbox(
      { sandboxId: sandbox.sandboxId, wait: false },
      { onHeader: (h: Metadata) => (httpCode = h.get(httpCodeMetadataKey)) },
    );
    expect(httpCode).toBe("202");
    expect(stopping!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPING);
    await settledIn(sandbox.sandboxId, SandboxStatus.SANDBOX_STATUS_STOPPED);
    expect(host.sandboxes.has(sandbox.sandboxId)).toBe(false);

    httpCode = undefined;
    const again = await cp.sandboxes.destroySandbox(
      { sandboxId: sandbox.sandboxId, wait: false },
      { onHeader: (h: Metadata) => (httpCode = h.get(httpCodeMetadataKey)) },
    );
    expect(httpCode).toBeUndefined();
    expect(again.sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
    // Still listed, as stopped, during the retention time.
    const listed = (await cp.sandboxes.listSandboxes({})).sandboxes.find((s) => s.sandboxId === sandbox.sandboxId);
    expect(listed?.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
  });

  it("counts a sandbox the host no longer has as stopped, and waits when asked", async () => {
    const { sandbox } = await create({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    host.forgetOnDestroy = true;
    try {
      const { sandbox: stopped } = await cp.sandboxes.destroySandbox({ sandboxId: sandbox.sandboxId, wait: true });
      expect(stopped!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
    } finally {
      host.forgetOnDestroy = false;
    }
  });

  it("can destroy a failed sandbox", async () => {
    const { sandbox } = await create({ templateId: "broken", metadata: {}, envs: {}, waitReady: true });
    const { sandbox: stopped } = await cp.sandboxes.destroySandbox({ sandboxId: sandbox.sandboxId, wait: true });
    expect(stopped!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
  });

  it("runs a process through the host's envd relay and streams its events", async () => {
    const { sandbox } = await create({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    const events = await collect(
      cp.processes.startProcess({ sandboxId: sandbox.sandboxId, start: { process: { cmd: "echo", args: ["hello", "wrenn"], envs: {} }, timeoutMs: 0 } }),
    );
    expect(events.map((e) => e.event)).toEqual([
      { start: { pid: 42, tag: "proc-test" } },
      { data: { stdout: Buffer.from("hello wrenn\n") } },
      { end: { exitCode: 0, exited: true, signal: "", error: "", timedOut: false } },
    ]);
  });

  it("passes envd's status codes through unchanged", async () => {
    const { sandbox } = await create({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    const err = await grpcError(
      collect(cp.processes.startProcess({ sandboxId: sandbox.sandboxId, start: { process: { cmd: "denied", args: [], envs: {} }, timeoutMs: 0 } })),
    );
    expect(err.code).toBe(Status.PERMISSION_DENIED);
    expect(err.details).toBe("user nobody may not run this");
    const missing = await grpcError(cp.files.statFile({ sandboxId: sandbox.sandboxId, path: "/nope" }));
    expect(missing.code).toBe(Status.NOT_FOUND);
    expect(missing.details).toBe("/nope: no such file");
  });

  it("refuses process and file calls for sandboxes that are not running", async () => {
    host.createDelayMs = 1_500;
    try {
      const { sandbox } = await create({ templateId: "base", metadata: {}, envs: {}, waitReady: false });
      const starting = await grpcError(cp.files.statFile({ sandboxId: sandbox.sandboxId, path: "/x" }));
      expect(starting.code).toBe(Status.FAILED_PRECONDITION);
      expect(starting.details).toMatch(/still starting/);
      await cp.sandboxes.destroySandbox({ sandboxId: sandbox.sandboxId, wait: true });
      const stopped = await grpcError(cp.files.statFile({ sandboxId: sandbox.sandboxId, path: "/x" }));
      expect(stopped.code).toBe(Status.FAILED_PRECONDITION);
      expect(stopped.details).toBe("sandbox is stopped");
    } finally {
      host.createDelayMs = 100;
    }
  });

  it("does not leave a sandbox on the host when it was destroyed while starting", async () => {
    host.createDelayMs = 800;
    try {
      const { sandbox } = await create({ templateId: "base", metadata: {}, envs: {}, waitReady: false });
      const { sandbox: stopped } = await cp.sandboxes.destroySandbox({ sandboxId: sandbox.sandboxId, wait: true });
      expect(stopped!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
      // The create finishes after the destroy; the controlplane removes what it made.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(host.sandboxes.has(sandbox.sandboxId)).toBe(false);
      expect((await cp.sandboxes.getSandbox({ sandboxId: sandbox.sandboxId })).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
    } finally {
      host.createDelayMs = 100;
    }
  });

  it("writes a file in chunks and reads the same bytes back", async () => {
    const { sandbox } = await create({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    const content = randomBytes(300 * 1024);
    async function* chunks() {
      for (let offset = 0; offset < content.length; offset += 100 * 1024) {
        yield { sandboxId: offset === 0 ? sandbox.sandboxId : "", path: offset === 0 ? "/home/user/data.bin" : "", data: content.subarray(offset, offset + 100 * 1024) };
      }
    }
    const written = await cp.files.writeFile(chunks());
    expect(written.entry).toMatchObject({ path: "/home/user/data.bin", size: content.length });
    const read = await collect(cp.files.readFile({ sandboxId: sandbox.sandboxId, path: "/home/user/data.bin" }));
    expect(Buffer.concat(read.map((r) => r.data)).equals(content)).toBe(true);
    const moved = await cp.files.moveFile({ sandboxId: sandbox.sandboxId, source: "/home/user/data.bin", destination: "/tmp/d.bin" });
    expect(moved.entry?.path).toBe("/tmp/d.bin");
    const listed = await cp.files.listDir({ sandboxId: sandbox.sandboxId, path: "/tmp", depth: 1 });
    expect(listed.entries.map((e) => e.path)).toEqual(["/tmp/d.bin"]);
    await cp.files.removeFile({ sandboxId: sandbox.sandboxId, path: "/tmp/d.bin" });
    expect((await grpcError(cp.files.statFile({ sandboxId: sandbox.sandboxId, path: "/tmp/d.bin" }))).code).toBe(Status.NOT_FOUND);
  });

  it("cancels the host's stream when the caller goes away", async () => {
    const { sandbox } = await create({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    const controller = new AbortController();
    const stream = cp.processes.startProcess(
      { sandboxId: sandbox.sandboxId, start: { process: { cmd: "forever", args: [], envs: {} }, timeoutMs: 0 } },
      { signal: controller.signal },
    );
    let seen = 0;
    await expect(
      (async () => {
        for await (const _event of stream) if (++seen === 3) controller.abort();
      })(),
    ).rejects.toThrow(/abort/i);
    await expect.poll(() => host.cancelled).toContain("start");
  });

  it("applies an outcome event published by another controlplane (the fallback writer)", async () => {
    const { sandbox } = await create({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    const id = fromWireId("sb", sandbox.sandboxId);
    const repo = createSandboxRepository(cp.running.context.pool);
    // Pretend another instance moved it to stopping, destroyed it on the host and died before writing.
    await repo.transition(id, ["running"], "stopping");
    await cp.running.context.bus.publish({ type: "sandbox.stopped", sandboxId: id, hostId: null, time: new Date().toISOString() });
    await settledIn(sandbox.sandboxId, SandboxStatus.SANDBOX_STATUS_STOPPED);
  });
});

describe.skipIf(!testDatabaseUrl)("controlplane without a reachable host agent", () => {
  it("starts anyway and answers creates with UNAVAILABLE and a clear message", async () => {
    const cp = await startTestControlPlane({ hostAgentUrl: "127.0.0.1:1" });
    try {
      const err = await grpcError(cp.sandboxes.createSandbox({ templateId: "base", metadata: {}, envs: {}, waitReady: false }));
      expect(err.code).toBe(Status.UNAVAILABLE);
      expect(err.details).toBe("no host agent is reachable (tried 127.0.0.1:1); try again later");
    } finally {
      await cp.close();
    }
  });
});
