import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { Status } from "nice-grpc";
import { sql } from "slonik";
import { fromWireId, toWireId } from "@wrenn/shared";
import { SandboxStatus } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { startTestControlPlane, type TestControlPlane, type TestTeamClients } from "../support/test-controlplane.js";
import { apiKeyHeaders } from "../support/test-team.js";
import { callGrpc, callHttp, sandboxMethods } from "./sandbox-methods.js";

warnIfNoDatabase("cross-team tenancy tests");

const { services, methods } = sandboxMethods();

const keyMetadata = (apiKey?: string) => {
  const metadata = new grpc.Metadata();
  if (apiKey) metadata.set("authorization", `Bearer ${apiKey}`);
  return metadata;
};

/**
 * Team A owns a running sandbox; team B calls every public method that
 * names a sandbox on it. Each must answer exactly what an id nobody has
 * answers, so an id tells B nothing, and a caller without a key is refused
 * before anything is looked up.
 */
describe.skipIf(!testDatabaseUrl)("another team's sandbox, on every method that names one (PostgreSQL, Redis, fake host agent)", () => {
  let host: FakeHostAgent;
  let cp: TestControlPlane;
  let teamB: TestTeamClients;
  let client: grpc.Client;
  let base: string;
  let sandboxId: string;
  const unknownId = toWireId("sb", randomUUID());

  beforeAll(async () => {
    host = await startFakeHostAgent();
    cp = await startTestControlPlane({ hostAgentUrl: host.address, httpListen: { host: "127.0.0.1", port: 0 } });
    teamB = await cp.newTeam("team b");
    client = new grpc.Client(cp.running.grpcAddress, grpc.credentials.createInsecure());
    base = `http://${cp.running.httpAddress}`;
    const { sandbox } = await cp.sandboxes.createSandbox({ templateId: "base", metadata: { app: "web" }, envs: {}, waitReady: true });
    expect(sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    sandboxId = sandbox!.sandboxId;
  });
  afterAll(async () => {
    client?.close();
    await cp?.close();
    await host?.close();
  });

  it("finds the public services and their methods in the descriptor set", () => {
    expect(services).toEqual(["wrenn.api.v1.FilesystemService", "wrenn.api.v1.PortService", "wrenn.api.v1.ProcessService", "wrenn.api.v1.SandboxService", "wrenn.api.v1.TemplateService"]);
    expect(methods.map((m) => m.grpcPath)).toEqual(
      expect.arrayContaining(["/wrenn.api.v1.SandboxService/DestroySandbox", "/wrenn.api.v1.ProcessService/StartProcess", "/wrenn.api.v1.FilesystemService/WriteFile", "/wrenn.api.v1.PortService/WatchPorts"]),
    );
  });

  it.each(methods.map((m) => [m.grpcPath, m] as const))("%s over gRPC: NOT_FOUND for team B, as for an unknown id; UNAUTHENTICATED without a key", async (_path, method) => {
    const unknown = await callGrpc(client, method, unknownId, keyMetadata(teamB.apiKey));
    expect(unknown).toEqual({ code: Status.NOT_FOUND, message: "sandbox not found" });
    expect(await callGrpc(client, method, sandboxId, keyMetadata(teamB.apiKey))).toEqual(unknown);
    expect((await callGrpc(client, method, sandboxId, keyMetadata())).code).toBe(Status.UNAUTHENTICATED);
  });

  it.each(methods.map((m) => [`${m.route.httpMethod} ${m.route.template.source}`, m] as const))("%s over HTTP: 404 for team B, as for an unknown id; 401 with WWW-Authenticate without a key", async (_route, method) => {
    const unknown = await callHttp(base, method, unknownId, apiKeyHeaders(teamB.apiKey));
    expect({ code: unknown.code, message: unknown.message }).toEqual({ code: 404, message: "sandbox not found" });
    const theirs = await callHttp(base, method, sandboxId, apiKeyHeaders(teamB.apiKey));
    expect({ code: theirs.code, message: theirs.message }).toEqual({ code: 404, message: "sandbox not found" });
    const anonymous = await callHttp(base, method, sandboxId, {});
    expect(anonymous.code).toBe(401);
    expect(anonymous.headers?.get("www-authenticate")).toMatch(/^Bearer realm="wrenn"/);
  });

  it("left team A's sandbox as it was, running on its host", async () => {
    // Team B's destroy, pause and timeout calls above reached nothing.
    const { sandbox } = await cp.sandboxes.getSandbox({ sandboxId });
    expect(sandbox).toMatchObject({ status: SandboxStatus.SANDBOX_STATUS_RUNNING, metadata: { app: "web" } });
    expect(host.sandboxes.has(sandboxId)).toBe(true);
  });

  it("lists each team's own sandboxes only, over gRPC and HTTP", async () => {
    const mine = await cp.sandboxes.listSandboxes({});
    expect(mine.sandboxes.map((s) => s.sandboxId)).toContain(sandboxId);
    const { sandbox: theirs } = await teamB.sandboxes.createSandbox({ templateId: "base", metadata: { app: "web" }, envs: {}, waitReady: false });
    expect((await teamB.sandboxes.listSandboxes({})).sandboxes.map((s) => s.sandboxId)).toEqual([theirs!.sandboxId]);
    expect((await cp.sandboxes.listSandboxes({})).sandboxes.map((s) => s.sandboxId)).not.toContain(theirs!.sandboxId);

    const overHttp = await fetch(`${base}/v1/sandboxes`, { headers: apiKeyHeaders(teamB.apiKey) });
    expect(overHttp.status).toBe(200);
    expect(((await overHttp.json()) as { sandboxes: { sandboxId: string }[] }).sandboxes.map((s) => s.sandboxId)).toEqual([theirs!.sandboxId]);
    expect((await fetch(`${base}/v1/sandboxes`)).status).toBe(401);
  });

  it("filters the list by metadata labels, every one of them matching", async () => {
    const labelled = async (metadata: Record<string, string>) =>
      (await cp.sandboxes.createSandbox({ templateId: "base", metadata, envs: {}, waitReady: false })).sandbox!.sandboxId;
    const prod = await labelled({ app: "api", env: "prod" });
    const dev = await labelled({ app: "api", env: "dev" });
    const ids = async (metadata: string[]) => (await cp.sandboxes.listSandboxes({ metadata })).sandboxes.map((s) => s.sandboxId);
    expect(await ids(["app=api"])).toEqual([prod, dev]);
    expect(await ids(["app=api", "env=prod"])).toEqual([prod]);
    expect(await ids(["app=api", "env=staging"])).toEqual([]);
    expect(await ids(["app=web"])).toEqual([sandboxId]);

    const query = await fetch(`${base}/v1/sandboxes?metadata=app%3Dapi&metadata=env%3Ddev`, { headers: apiKeyHeaders(cp.apiKey) });
    expect(((await query.json()) as { sandboxes: { sandboxId: string }[] }).sandboxes.map((s) => s.sandboxId)).toEqual([dev]);

    for (const malformed of ["app", "=api", "bad key=1"]) {
      await expect(cp.sandboxes.listSandboxes({ metadata: [malformed] })).rejects.toMatchObject({
        code: Status.INVALID_ARGUMENT,
        details: expect.stringContaining(`metadata filter "${malformed}" must be "key=value"`),
      });
    }
  });

  it("hides a sandbox without a team (a row from before teams) from every team", async () => {
    const { sandbox } = await cp.sandboxes.createSandbox({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    const orphan = sandbox!.sandboxId;
    await cp.running.context.pool.query(sql.unsafe`UPDATE sandboxes SET team_id = NULL WHERE id = ${fromWireId("sb", orphan)}`);
    for (const team of [cp, teamB]) {
      await expect(team.sandboxes.getSandbox({ sandboxId: orphan })).rejects.toMatchObject({ code: Status.NOT_FOUND, details: "sandbox not found" });
      expect((await team.sandboxes.listSandboxes({})).sandboxes.map((s) => s.sandboxId)).not.toContain(orphan);
    }
  });
});
