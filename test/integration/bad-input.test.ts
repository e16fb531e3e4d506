import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, credentials, Metadata as GrpcMetadata, type ServiceError } from "@grpc/grpc-js";
import { ClientError, createChannel, createClient, Status, type Channel } from "nice-grpc";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { SandboxServiceDefinition as HostSandboxServiceDefinition } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { startStack, type ServiceEvent, type Stack } from "@wrenn/devstack";
import { keyHeaders } from "../harness/api-key.js";

/**
 * Issue 8's crash request: an id of astral characters that the old code cut
 * at 64 UTF-16 units, in the middle of a surrogate pair, and echoed in the
 * error message; grpc-js's encodeURI then threw outside any handler.
 */
const crashIdEncoded = "a" + "%F0%9D%91%BB".repeat(40);
const crashId = decodeURIComponent(crashIdEncoded);

let stack: Stack;
let client: WrennClient;
let hostChannel: Channel;
let sandboxId: string;
const serviceEvents: ServiceEvent[] = [];
let pids: Record<string, number | undefined>;

beforeAll(async () => {
  stack = await startStack({ onServiceEvent: (event) => serviceEvents.push(event) });
  client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
  hostChannel = createChannel(stack.hostagentAddress);
  pids = { controlplane: stack.services.controlplane.pid, hostagent: stack.services.hostagent.pid };
  const { sandbox } = await client.sandboxes.createSandbox({ waitReady: true });
  expect(sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
  sandboxId = sandbox!.sandboxId;
});

afterAll(async () => {
  if (sandboxId) await client.sandboxes.destroySandbox({ sandboxId, wait: true }).catch(() => undefined);
  hostChannel?.close();
  client?.close();
  await stack?.close();
});

async function grpcError(promise: Promise<unknown>): Promise<ClientError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected a gRPC error").toBeInstanceOf(ClientError);
  return err as ClientError;
}

/** A message a person can read: well-formed, no control characters, bounded. */
function expectReadable(message: string): void {
  expect(() => encodeURI(message)).not.toThrow();
  expect(message).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  expect(Buffer.byteLength(message)).toBeLessThanOrEqual(1024);
  expect(message.length).toBeGreaterThan(0);
}

describe("no input kills a server", () => {
  it("the crash request over HTTP is a 400 with a readable message", async () => {
    const res = await fetch(`${stack.httpUrl}/v1/sandboxes/${crashIdEncoded}`, { headers: keyHeaders(stack) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe("INVALID_ARGUMENT");
    expectReadable(body.message);
    expect(body.message).toContain('sandbox_id must look like "sb-"');
    expect(body.message).toContain("a𝑻𝑻𝑻");
  });

  it("the crash request over gRPC is INVALID_ARGUMENT, for reads and for every kind of call", async () => {
    const get = await grpcError(client.sandboxes.getSandbox({ sandboxId: crashId }));
    expect(get.code).toBe(Status.INVALID_ARGUMENT);
    expectReadable(get.details);
    // One at a time: a call made before the previous one is awaited would reject with nobody listening yet.
    for (const call of [
      () => client.sandboxes.destroySandbox({ sandboxId: crashId }),
      () => client.sandboxes.getSandboxMetrics({ sandboxId: crashId }),
      () => client.run(crashId, "true"),
      () => client.filesystem.statFile({ sandboxId: crashId, path: "/tmp" }),
      () => client.ports.listPorts({ sandboxId: crashId }),
    ]) {
      const err = await grpcError(call());
      expect(Status[err.code]).toBe("INVALID_ARGUMENT");
      expectReadable(err.details);
    }
  });

  it("the same id sent straight to the host agent is INVALID_ARGUMENT there too", async () => {
    const host = createClient(HostSandboxServiceDefinition, hostChannel);
    for (const call of [() => host.getSandboxMetrics({ sandboxId: crashId }), () => host.destroySandbox({ sandboxId: crashId })]) {
      const err = await grpcError(call());
      expect(Status[err.code]).toBe("INVALID_ARGUMENT");
      expectReadable(err.details);
      // Quoted whole: 41 characters are well within what a message shows of a value.
      expect(err.details).toContain(`"${crashId}"`);
    }
  });

  it("an envd answer that echoes a path of astral characters reaches the caller intact (envd, relay, controlplane)", async () => {
    // Too long for the kernel (ENAMETOOLONG): the message quoting it is cut to 1 KiB, on a character.
    const long = await grpcError(client.filesystem.statFile({ sandboxId, path: `/tmp/${"𝑻".repeat(2000)}` }));
    expect(Status[long.code]).toBe("INVALID_ARGUMENT");
    expectReadable(long.details);
    expect(long.details).toMatch(/^stat \/tmp\/(𝑻)+…$/u);
    const short = await grpcError(client.filesystem.statFile({ sandboxId, path: `/tmp/${"𝑻".repeat(20)}` }));
    expect(Status[short.code]).toBe("NOT_FOUND");
    expect(short.details).toContain(`/tmp/${"𝑻".repeat(20)}`);
  });

  it("NUL, control characters and huge ids are 400s", async () => {
    for (const id of ["%00", "sb-%00%01%1b", "x".repeat(8 * 1024)]) {
      const res = await fetch(`${stack.httpUrl}/v1/sandboxes/${id}`, { headers: keyHeaders(stack) });
      expect(res.status, `GET /v1/sandboxes/${id.slice(0, 20)}`).toBe(400);
      expectReadable(((await res.json()) as { message: string }).message);
    }
    // A 1 MiB request line is refused by Node's HTTP parser before any handler; over gRPC it reaches one.
    expect((await fetch(`${stack.httpUrl}/v1/sandboxes/${"x".repeat(1024 * 1024)}`, { headers: keyHeaders(stack) })).status).toBe(431);
    const huge = await grpcError(client.sandboxes.getSandbox({ sandboxId: "\u0000".repeat(1024 * 1024) }));
    expect(Status[huge.code]).toBe("INVALID_ARGUMENT");
    expectReadable(huge.details);
  });

  it("a huge metadata map and NUL in env names are INVALID_ARGUMENT, not INTERNAL", async () => {
    const metadata = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`key${i}`, "v"]));
    const huge = await grpcError(client.sandboxes.createSandbox({ metadata }));
    expect(Status[huge.code]).toBe("INVALID_ARGUMENT");
    expect(huge.details).toBe("metadata may hold at most 64 entries, got 50000");
    const nul = await grpcError(client.sandboxes.createSandbox({ envs: { "A\u0000B": "x" } }));
    expect(Status[nul.code]).toBe("INVALID_ARGUMENT");
    expectReadable(nul.details);
    const overHttp = await fetch(`${stack.httpUrl}/v1/sandboxes`, {
      method: "POST",
      headers: keyHeaders(stack, { "content-type": "application/json" }),
      body: JSON.stringify({ metadata }),
    });
    expect(overHttp.status).toBe(400);
  });

  it("a process argument or variable execve cannot take is INVALID_ARGUMENT, not INTERNAL", async () => {
    const processes: { cmd: string; args: string[]; envs: Record<string, string> }[] = [
      { cmd: "echo", args: ["x".repeat(1024 * 1024)], envs: {} },
      { cmd: "true", args: [], envs: { BIG: "x".repeat(1024 * 1024) } },
    ];
    for (const process of processes) {
      const err = await grpcError(client.run(sandboxId, process.cmd, process.args, { envs: process.envs }));
      expect(Status[err.code]).toBe("INVALID_ARGUMENT");
      expectReadable(err.details);
    }
  });

  it("bytes that are not the request message are INVALID_ARGUMENT, not INTERNAL", async () => {
    const raw = new Client(stack.grpcAddress, credentials.createInsecure());
    // With a key: the caller is authenticated first (without one this is UNAUTHENTICATED, whatever the bytes).
    const metadata = new GrpcMetadata();
    metadata.set("authorization", `Bearer ${stack.apiKey}`);
    try {
      // Field 1 (sandbox_id) says 255 bytes follow; none do.
      const err = await new Promise<ServiceError>((resolve, reject) => {
        raw.makeUnaryRequest(
          "/wrenn.api.v1.SandboxService/GetSandbox",
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from([0x0a, 0xff, 0x01]),
          metadata,
          {},
          (e) => (e ? resolve(e) : reject(new Error("expected an error"))),
        );
      });
      expect(Status[err.code]).toBe("INVALID_ARGUMENT");
      expect(err.details).toMatch(/^the request to \/wrenn.api.v1.SandboxService\/GetSandbox is not a valid protobuf message/);
    } finally {
      raw.close();
    }
  });

  it("after all of it, every server still answers and none was restarted", async () => {
    const unknown = await grpcError(client.sandboxes.getSandbox({ sandboxId: `sb-${"0".repeat(32)}` }));
    expect(Status[unknown.code]).toBe("NOT_FOUND");
    expect((await fetch(`${stack.httpUrl}/v1/sandboxes`, { headers: keyHeaders(stack) })).status).toBe(200);
    const host = createClient(HostSandboxServiceDefinition, hostChannel);
    expect((await host.listSandboxes({})).sandboxes.map((s) => s.sandboxId)).toContain(sandboxId);
    // envd inside the sandbox too.
    expect((await client.run(sandboxId, "echo", ["alive"])).stdout).toBe("alive\n");
    expect(serviceEvents.filter((e) => e.type === "exited")).toEqual([]);
    expect({ controlplane: stack.services.controlplane.pid, hostagent: stack.services.hostagent.pid }).toEqual(pids);
  });
});
