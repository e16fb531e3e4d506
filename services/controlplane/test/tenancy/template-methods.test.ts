import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { createChannel, createClient, Status, type Channel } from "nice-grpc";
import { toWireId } from "@wrenn/shared";
import { TemplateServiceDefinition, BuildServiceDefinition } from "@wrenn/gen/wrenn/api/v1/template.js";
import { createBuildRepository } from "../../src/db/build-repository.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { startTestControlPlane, type TestControlPlane, type TestTeamClients } from "../support/test-controlplane.js";
import { addTemplateRow } from "../support/test-templates.js";
import { apiKeyHeaders, withApiKey } from "../support/test-team.js";
import { callGrpc, callHttp, methodsNaming } from "./sandbox-methods.js";

warnIfNoDatabase("template and build tenancy tests");

const templateMethods = methodsNaming("template_id").methods;
const buildMethods = methodsNaming("build_id").methods;

const keyMetadata = (apiKey?: string) => {
  const metadata = new grpc.Metadata();
  if (apiKey) metadata.set("authorization", `Bearer ${apiKey}`);
  return metadata;
};

/** The answer with the id it names taken out: "template "<id>" not found" must not depend on whose id it was. */
const generic = (outcome: { code: number; message: string }, id: string) => ({ code: outcome.code, message: outcome.message.replace(id, "<id>") });

/**
 * Team A owns a template and a build; team B calls every public method that
 * names a template or a build with A's ids. Each answers what an id nobody
 * has answers; without a key, UNAUTHENTICATED (401) before any lookup.
 */
describe.skipIf(!testDatabaseUrl)("another team's template or build, on every method that names one (PostgreSQL, Redis, fake host agent)", () => {
  let host: FakeHostAgent;
  let cp: TestControlPlane;
  let teamB: TestTeamClients;
  let client: grpc.Client;
  let channel: Channel;
  let base: string;
  let templateId: string;
  let buildId: string;
  const unknownTemplate = toWireId("tpl", randomUUID());
  const unknownBuild = toWireId("bld", randomUUID());

  beforeAll(async () => {
    host = await startFakeHostAgent();
    cp = await startTestControlPlane({ hostAgentUrl: host.address, httpListen: { host: "127.0.0.1", port: 0 } });
    teamB = await cp.newTeam("team b");
    client = new grpc.Client(cp.running.grpcAddress, grpc.credentials.createInsecure());
    channel = createChannel(cp.running.grpcAddress);
    base = `http://${cp.running.httpAddress}`;
    const pool = cp.running.context.pool;
    const name = `team-a-${randomUUID().slice(0, 8)}`;
    const template = await addTemplateRow(pool, { name, hostTemplateId: "base-1x1024", teamId: cp.teamId });
    templateId = toWireId("tpl", template.id);
    const builds = createBuildRepository(pool);
    const build = await builds.insertQueued({
      id: randomUUID(), teamId: cp.teamId, platform: false, name, tag: "v2", recipe: "RUN true", fromTemplate: template.id,
      resources: { vcpus: 1, memoryMib: 1024, diskMib: 2048 }, hostId: null, hostTemplateId: toWireId("tpl", randomUUID()),
    });
    await builds.finish(build.id, { status: "failed", error: "made by the test" });
    buildId = toWireId("bld", build.id);
  });
  afterAll(async () => {
    client?.close();
    channel?.close();
    await cp?.close();
    await host?.close();
  });

  it("finds the methods naming templates and builds in the descriptor set", () => {
    expect(templateMethods.map((m) => m.grpcPath).sort()).toEqual([
      "/wrenn.api.v1.SandboxService/CreateSandbox", "/wrenn.api.v1.TemplateService/DeleteTemplate", "/wrenn.api.v1.TemplateService/GetTemplate",
    ]);
    expect(buildMethods.map((m) => m.grpcPath).sort()).toEqual([
      "/wrenn.api.v1.BuildService/CancelBuild", "/wrenn.api.v1.BuildService/GetBuild", "/wrenn.api.v1.BuildService/WatchBuild",
    ]);
  });

  const cases = () => [
    ...templateMethods.map((m) => ({ method: m, theirs: templateId, unknown: unknownTemplate })),
    ...buildMethods.map((m) => ({ method: m, theirs: buildId, unknown: unknownBuild })),
  ];

  it("answers team B over gRPC as for an unknown id, and a caller without a key UNAUTHENTICATED", async () => {
    for (const { method, theirs, unknown } of cases()) {
      const none = await callGrpc(client, method, unknown, keyMetadata(teamB.apiKey));
      expect(none.code, method.grpcPath).toBe(Status.NOT_FOUND);
      const other = await callGrpc(client, method, theirs, keyMetadata(teamB.apiKey));
      expect(generic(other, theirs), method.grpcPath).toEqual(generic(none, unknown));
      expect((await callGrpc(client, method, theirs, keyMetadata())).code, method.grpcPath).toBe(Status.UNAUTHENTICATED);
    }
  });

  it("answers team B over HTTP with 404 as for an unknown id, and 401 with WWW-Authenticate without a key", async () => {
    for (const { method, theirs, unknown } of cases()) {
      const none = await callHttp(base, method, unknown, apiKeyHeaders(teamB.apiKey));
      expect(none.code, method.grpcPath).toBe(404);
      const other = await callHttp(base, method, theirs, apiKeyHeaders(teamB.apiKey));
      expect(generic(other, theirs), method.grpcPath).toEqual(generic(none, unknown));
      const anonymous = await callHttp(base, method, theirs, {});
      expect(anonymous.code).toBe(401);
      expect(anonymous.headers?.get("www-authenticate")).toMatch(/^Bearer realm="wrenn"/);
    }
  });

  it("lets team A read its own template and build, and left them as they were", async () => {
    const templates = createClient(TemplateServiceDefinition, channel, withApiKey(cp.apiKey));
    expect((await templates.getTemplate({ templateId })).template?.templateId).toBe(templateId);
    const builds = createClient(BuildServiceDefinition, channel, withApiKey(cp.apiKey));
    expect((await builds.getBuild({ buildId })).build).toMatchObject({ buildId, error: "made by the test" });
  });

  it("does not list team A's template or build to team B, and lists the platform's base templates to both", async () => {
    const mine = createClient(TemplateServiceDefinition, channel, withApiKey(cp.apiKey));
    const theirs = createClient(TemplateServiceDefinition, channel, withApiKey(teamB.apiKey));
    const labels = async (c: typeof mine) => (await c.listTemplates({})).templates.map((t) => `${t.name}:${t.tag}${t.platform ? " (platform)" : ""}`);
    const a = await labels(mine);
    const b = await labels(theirs);
    for (const list of [a, b]) expect(list).toEqual(expect.arrayContaining(["base:latest (platform)", "base:small (platform)", "base:large (platform)"]));
    expect(a.some((l) => l.startsWith("team-a-"))).toBe(true);
    expect(b.some((l) => l.startsWith("team-a-"))).toBe(false);
    const builds = createClient(BuildServiceDefinition, channel, withApiKey(teamB.apiKey));
    expect((await builds.listBuilds({})).builds.map((x) => x.buildId)).not.toContain(buildId);
  });

  it("refuses team B a sandbox from team A's template, by id or by name, as an unknown one (NOT_FOUND)", async () => {
    const mine = createClient(TemplateServiceDefinition, channel, withApiKey(cp.apiKey));
    const { template } = await mine.getTemplate({ templateId });
    for (const ref of [templateId, template!.name, `${template!.name}:latest`]) {
      await expect(teamB.sandboxes.createSandbox({ templateId: ref, metadata: {}, envs: {}, waitReady: false })).rejects.toMatchObject({
        code: Status.NOT_FOUND,
        details: `template "${ref}" not found`,
      });
    }
    // Team A may: by name, its template is found first.
    const { sandbox } = await cp.sandboxes.createSandbox({ templateId: template!.name, metadata: {}, envs: {}, waitReady: true });
    expect(sandbox).toMatchObject({ templateId: template!.name });
    expect(host.sandboxes.get(sandbox!.sandboxId)?.templateId).toBe("base-1x1024");
  });

  it("refuses team B a build FROM team A's template as one FROM an unknown template, naming the line", async () => {
    const builds = createClient(BuildServiceDefinition, channel, withApiKey(teamB.apiKey));
    const attempt = (from: string) =>
      builds.createBuild((async function* () {
        yield { spec: { name: "stolen", recipe: `# mine now\nFROM ${from}\nRUN true\n`, vcpus: 0, memoryMib: 0, diskMib: 0, platform: false, stepTimeoutSeconds: 0 } };
      })());
    await expect(attempt(templateId)).rejects.toMatchObject({ code: Status.NOT_FOUND, details: `line 2: FROM template "${templateId}" not found` });
    await expect(attempt(unknownTemplate)).rejects.toMatchObject({ code: Status.NOT_FOUND, details: `line 2: FROM template "${unknownTemplate}" not found` });
  });
});
