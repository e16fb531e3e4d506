import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ClientError, createChannel, createClient, Status, type Channel } from "nice-grpc";
import pg from "pg";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { SandboxServiceDefinition as HostSandboxServiceDefinition } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { startStack, type Stack } from "@wrenn/devstack";
import { keyHeaders } from "../harness/api-key.js";

async function grpcError(promise: Promise<unknown>): Promise<ClientError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected a gRPC error").toBeInstanceOf(ClientError);
  return err as ClientError;
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) void _;
}

/** Every call on a sandbox other than Get, List and Destroy. */
function operationsOn(client: WrennClient, sandboxId: string): Record<string, () => Promise<unknown>> {
  return {
    exec: () => client.run(sandboxId, "true"),
    listProcesses: () => client.processes.listProcesses({ sandboxId }),
    statFile: () => client.filesystem.statFile({ sandboxId, path: "/tmp" }),
    readFile: () => drain(client.filesystem.readFile({ sandboxId, path: "/etc/hostname" })),
    writeFile: () =>
      client.filesystem.writeFile(
        (async function* () {
          yield { sandboxId, path: "/tmp/x", data: Buffer.from("x") };
        })(),
      ),
    listPorts: () => client.ports.listPorts({ sandboxId }),
    pause: () => client.sandboxes.pauseSandbox({ sandboxId }),
    resume: () => client.sandboxes.resumeSandbox({ sandboxId }),
    setTimeout: () => client.sandboxes.setSandboxTimeout({ sandboxId, timeoutSeconds: 60 }),
    metrics: () => client.sandboxes.getSandboxMetrics({ sandboxId }),
  };
}

describe("a stopped sandbox, within the retention time (default: one hour)", () => {
  let stack: Stack;
  let client: WrennClient;
  let hostChannel: Channel;

  beforeAll(async () => {
    stack = await startStack();
    client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
    hostChannel = createChannel(stack.hostagentAddress);
  });
  afterAll(async () => {
    hostChannel?.close();
    client?.close();
    await stack?.close();
  });

  it("shows the sizes its host gave it: unset while starting, then as the host agent reports them", async () => {
    const { sandbox: starting } = await client.sandboxes.createSandbox({});
    expect(starting!.status).toBe(SandboxStatus.SANDBOX_STATUS_STARTING);
    expect(starting!.resources).toBeUndefined();
    const id = starting!.sandboxId;
    const running = await vi.waitFor(
      async () => {
        const { sandbox } = await client.sandboxes.getSandbox({ sandboxId: id });
        if (sandbox!.status !== SandboxStatus.SANDBOX_STATUS_RUNNING) throw new Error(`the sandbox is ${SandboxStatus[sandbox!.status]}, not yet running`);
        return sandbox!;
      },
      { timeout: 60_000 },
    );
    const host = createClient(HostSandboxServiceDefinition, hostChannel);
    const onHost = (await host.listSandboxes({})).sandboxes.find((s) => s.sandboxId === id);
    expect(onHost?.resources?.vcpus).toBeGreaterThan(0);
    expect(onHost?.resources?.memoryMib).toBeGreaterThan(0);
    expect(onHost?.resources?.diskMib).toBeGreaterThan(0);
    expect(running.resources).toEqual(onHost!.resources);
    const listed = (await client.sandboxes.listSandboxes({})).sandboxes.find((s) => s.sandboxId === id);
    expect(listed?.resources).toEqual(onHost!.resources);
    // Over HTTP too, as the API's JSON.
    const res = await fetch(`${stack.httpUrl}/v1/sandboxes/${id}`, { headers: keyHeaders(stack) });
    expect(((await res.json()) as { sandbox: { resources: unknown } }).sandbox.resources).toEqual({
      vcpus: onHost!.resources!.vcpus,
      memoryMib: onHost!.resources!.memoryMib,
      diskMib: onHost!.resources!.diskMib,
    });
    await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
  });

  it("is readable and listed as STOPPED, every operation on it is FAILED_PRECONDITION, and destroying it again is OK", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ waitReady: true, metadata: { purpose: "stopped" } });
    const id = sandbox!.sandboxId;
    const destroyed = await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
    expect(destroyed.sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);

    const read = (await client.sandboxes.getSandbox({ sandboxId: id })).sandbox!;
    expect(read).toMatchObject({ sandboxId: id, status: SandboxStatus.SANDBOX_STATUS_STOPPED, metadata: { purpose: "stopped" } });
    expect(read.resources?.vcpus).toBeGreaterThan(0);
    const listed = (await client.sandboxes.listSandboxes({})).sandboxes.find((s) => s.sandboxId === id);
    expect(listed?.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);

    for (const [name, call] of Object.entries(operationsOn(client, id))) {
      const err = await grpcError(call());
      expect({ name, code: Status[err.code], details: err.details }).toEqual({ name, code: "FAILED_PRECONDITION", details: "sandbox is stopped" });
    }
    const overHttp = await fetch(`${stack.httpUrl}/v1/sandboxes/${id}/metrics`, { headers: keyHeaders(stack) });
    expect(overHttp.status).toBe(400);
    expect(await overHttp.json()).toMatchObject({ code: "FAILED_PRECONDITION", message: "sandbox is stopped" });

    const again = await client.sandboxes.destroySandbox({ sandboxId: id, wait: false });
    expect(again.sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
    const againOverHttp = await fetch(`${stack.httpUrl}/v1/sandboxes/${id}`, { method: "DELETE", headers: keyHeaders(stack) });
    expect(againOverHttp.status).toBe(200);
  });
});

describe("a stopped sandbox, after the retention time", () => {
  let stack: Stack;
  let client: WrennClient;
  const previous = process.env.WRENN_STOPPED_RETENTION_SECONDS;

  beforeAll(async () => {
    // startStack passes the environment through to the controlplane.
    process.env.WRENN_STOPPED_RETENTION_SECONDS = "1";
    stack = await startStack();
    client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env.WRENN_STOPPED_RETENTION_SECONDS;
    else process.env.WRENN_STOPPED_RETENTION_SECONDS = previous;
    client?.close();
    await stack?.close();
  });

  it("is NOT_FOUND for every call, no longer listed, and its row is purged", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ waitReady: true });
    const id = sandbox!.sandboxId;
    await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
    await expect
      .poll(
        () =>
          client.sandboxes.getSandbox({ sandboxId: id }).then(
            ({ sandbox }) => SandboxStatus[sandbox!.status],
            (e: unknown) => (e instanceof ClientError ? Status[e.code] : String(e)),
          ),
        { timeout: 60_000, message: "GetSandbox of the stopped sandbox" },
      )
      .toBe("NOT_FOUND");
    expect((await client.sandboxes.listSandboxes({})).sandboxes.map((s) => s.sandboxId)).not.toContain(id);
    for (const [name, call] of Object.entries({ ...operationsOn(client, id), destroy: () => client.sandboxes.destroySandbox({ sandboxId: id }) })) {
      const err = await grpcError(call());
      expect({ name, code: Status[err.code] }).toEqual({ name, code: "NOT_FOUND" });
    }
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const uuid = id.slice(3).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
      await expect
        .poll(async () => (await db.query("SELECT 1 FROM sandboxes WHERE id = $1", [uuid])).rowCount, { timeout: 60_000, message: "the sandbox's rows" })
        .toBe(0);
    } finally {
      await db.end();
    }
  });
});
