import { testDatabaseUrl, warnIfNoDatabase } from "./support/test-database.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, Metadata, Status, createChannel, createClient, type Channel } from "nice-grpc";
import * as grpc from "@grpc/grpc-js";
import { SandboxServiceDefinition } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { deploymentIdOf } from "../src/db/database.js";
import { startFakeHostAgent, type FakeHostAgent } from "./support/fake-host-agent.js";
import { startTestControlPlane, type TestControlPlane } from "./support/test-controlplane.js";
import { EchoServiceDefinition, exampleExtension, type WorkerLog } from "./support/example-extension.js";

warnIfNoDatabase("extension tests");

async function grpcError(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ClientError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

/** grpc.health.v1.Health/Check for the whole server, without a key; answers the response's bytes. */
function healthCheck(address: string): Promise<Buffer> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const empty = Buffer.alloc(0); // HealthCheckRequest{service: ""}
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest("/grpc.health.v1.Health/Check", (b: Buffer) => b, (b: Buffer) => b, empty, (err, response) => (err ? reject(err) : resolve(response!)));
  }).finally(() => client.close());
}

const withKey = (key: string) => ({ metadata: Metadata({ authorization: `Bearer ${key}` }) });

describe.skipIf(!testDatabaseUrl)("an extension started through runControlPlane", () => {
  const workerLog: WorkerLog = { entries: [] };
  const blockedTeams = new Set<string>();
  let host: FakeHostAgent;
  let cp: TestControlPlane;
  let channel: Channel;
  let base: string;
  let deploymentId: string;
  let apiKey: string;
  let blockedKey: string;

  beforeAll(async () => {
    host = await startFakeHostAgent();
    cp = await startTestControlPlane({ hostAgentUrl: host.address, httpListen: { host: "127.0.0.1", port: 0 } }, [exampleExtension(workerLog, blockedTeams)]);
    channel = createChannel(cp.running.grpcAddress);
    base = `http://${cp.running.httpAddress}`;
    deploymentId = await deploymentIdOf(cp.running.context.pool);
    apiKey = cp.apiKey;
    const blocked = await cp.newTeam("blocked");
    blockedTeams.add(blocked.teamId);
    blockedKey = blocked.apiKey;
  });
  afterAll(async () => {
    channel?.close();
    await cp?.close();
    await host?.close();
  });

  const echo = () => createClient(EchoServiceDefinition, channel);
  const sandboxes = () => createClient(SandboxServiceDefinition, channel);
  const get = (path: string, key?: string) => fetch(base + path, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  it("serves the extension's RPC beside the public API, with what the hook attached", async () => {
    expect(await echo().echo({ value: "hello" }, withKey(apiKey))).toEqual({ value: `hello (for ${cp.teamId})` });
    // The public API still answers, past the hooks: its own NOT_FOUND, not a hook's refusal.
    const unknown = await grpcError(sandboxes().getSandbox({ sandboxId: `sb-${"0".repeat(32)}` }, withKey(apiKey)));
    expect(unknown.code).toBe(Status.NOT_FOUND);
  });

  it("transcodes the extension's annotated RPC to HTTP/JSON and lists it in /openapi.json", async () => {
    const res = await get("/v1/echo/hi%20there", apiKey);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ value: `hi there (for ${cp.teamId})` });
    const doc = (await (await get("/openapi.json")).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.paths["/v1/echo/{value}"].get.operationId).toBe("Echo");
    expect(doc.paths["/v1/sandboxes"].get.operationId).toBe("ListSandboxes");
  });

  it("serves the extension's HTTP route, under its prefix only", async () => {
    const res = await get("/v1/team/members", apiKey);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ team: cp.teamId, path: "/v1/team/members" });
    const beside = await get("/v1/teamx", apiKey);
    expect(beside.status).toBe(404);
    expect(((await beside.json()) as { code: string }).code).toBe("NOT_FOUND");
  });

  it("has run the worker once the controlplane answers", async () => {
    await expect.poll(() => workerLog.entries).toEqual([`started ${deploymentId}`]);
  });

  it("refuses a call without a key before the extension's hooks, over gRPC and HTTP alike", async () => {
    for (const call of [() => echo().echo({ value: "hello" }), () => sandboxes().listSandboxes({})]) {
      const err = await grpcError(call());
      expect(err.code).toBe(Status.UNAUTHENTICATED);
    }
    // The extension's own route, and routes transcoded to the public API and to the extension's RPC.
    for (const path of ["/v1/team/members", "/v1/sandboxes", "/v1/echo/hi"]) {
      const res = await get(path);
      expect(res.status, path).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe("UNAUTHENTICATED");
    }
  });

  it("lets a later hook refuse on what an earlier one attached", async () => {
    const err = await grpcError(echo().echo({ value: "hello" }, withKey(blockedKey)));
    expect(err.code).toBe(Status.PERMISSION_DENIED);
    expect(err.details).toBe("this team may not call this");
    for (const path of ["/v1/team/members", "/v1/sandboxes"]) {
      const res = await get(path, blockedKey);
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { message: string }).message).toBe("this team may not call this");
    }
  });

  it("keeps health open to callers without a key", async () => {
    // HealthCheckResponse{status: SERVING (1)}: field 1, varint 1.
    expect([...(await healthCheck(cp.running.grpcAddress))]).toEqual([0x08, 0x01]);
    const res = await get("/healthz");
    expect(res.status).toBe(200);
  });

  it("stops the worker on stop(), while the database is still open, and stops serving", async () => {
    await cp.running.stop();
    expect(workerLog.entries).toEqual([`started ${deploymentId}`, `stopping ${deploymentId}`]);
    const err = await grpcError(echo().echo({ value: "hello" }, withKey(apiKey)));
    expect(err.code).toBe(Status.UNAVAILABLE);
    await expect(get("/v1/team/members", apiKey)).rejects.toThrow();
  });
});
