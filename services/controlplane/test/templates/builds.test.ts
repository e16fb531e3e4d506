import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomUUID } from "node:crypto";
import { Status } from "nice-grpc";
import { BuildStatus, type BuildEvent } from "@wrenn/gen/wrenn/api/v1/template.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { startTestControlPlane, type TestControlPlane } from "../support/test-controlplane.js";
import { buildRequests, spec, templateClients } from "./template-clients.js";

warnIfNoDatabase("build tests");

async function collect(stream: AsyncIterable<{ event?: BuildEvent }>): Promise<BuildEvent[]> {
  const events: BuildEvent[] = [];
  for await (const { event } of stream) if (event) events.push(event);
  return events;
}

const kind = (e: BuildEvent) => Object.keys(e).find((k) => k !== "seq" && k !== "at" && e[k as keyof BuildEvent] !== undefined);

describe.skipIf(!testDatabaseUrl)("builds: refusals, and the follower around a host's BuildService (PostgreSQL, fake host agent)", () => {
  let host: FakeHostAgent;
  let cp: TestControlPlane;
  let clients: ReturnType<typeof templateClients>;
  const name = () => `built-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    host = await startFakeHostAgent();
    cp = await startTestControlPlane({ hostAgentUrl: host.address });
    clients = templateClients(cp.running.grpcAddress, cp.apiKey);
  });
  afterAll(async () => {
    clients?.close();
    await cp?.close();
    await host?.close();
  });

  it("refuses a build when no host can build (a namespace host): FAILED_PRECONDITION saying why, and no build remains", async () => {
    await expect(clients.builds.createBuild(buildRequests(spec({ name: name() })))).rejects.toMatchObject({
      code: Status.FAILED_PRECONDITION,
      details: "no host can build templates: builds need the qemu runtime (memory snapshots), and the hosts run fake",
    });
    expect((await clients.builds.listBuilds({})).builds).toEqual([]);
  });

  it.each([
    ["an unknown instruction", "RUN true\nFROB x\n", /^line 2: /],
    ["a missing argument", "# comment\n\nRUN\n", /^line 3: /],
    ["FROM after the first instruction", "RUN true\nFROM base\n", /^line 2: /],
  ])("refuses a recipe with %s: INVALID_ARGUMENT naming the line", async (_what, recipe, message) => {
    await expect(clients.builds.createBuild(buildRequests(spec({ name: name(), recipe })))).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
      details: expect.stringMatching(message),
    });
  });

  it("refuses a FROM template nobody has: NOT_FOUND naming the line", async () => {
    await expect(clients.builds.createBuild(buildRequests(spec({ name: name(), recipe: "FROM nothing-here:v9\nRUN true\n" })))).rejects.toMatchObject({
      code: Status.NOT_FOUND,
      details: 'line 1: FROM template "nothing-here:v9" not found',
    });
  });

  it.each([
    ["a bad name", { name: "Not Valid" }, /^name must be "name" or "name:tag"/],
    ["a platform build by a team key", { platform: true }, /^only platform admins/],
    ["a base size out of bounds", { vcpus: 64 }, /^vcpus must be between 1 and 16, got 64$/],
    ["memory not a multiple of 128", { memoryMib: 1000 }, /^memory_mib must be between 256 and 65536 and a multiple of 128, got 1000$/],
    ["a disk smaller than the base's", { diskMib: 100 }, /^disk_mib may only grow/],
  ])("refuses %s before any host is asked", async (_what, fields, message) => {
    const code = "platform" in fields ? Status.PERMISSION_DENIED : Status.INVALID_ARGUMENT;
    await expect(clients.builds.createBuild(buildRequests(spec({ name: name(), ...fields })))).rejects.toMatchObject({ code, details: expect.stringMatching(message) });
  });

  it("refuses a stream whose first message is not the spec", async () => {
    await expect(clients.builds.createBuild((async function* () {
      yield { archiveChunk: Buffer.from("x") };
    })())).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT, details: "the first message must carry the build's spec" });
  });

  describe("on a host that can build", () => {
    beforeAll(() => {
      host.runtime = "qemu";
    });
    afterAll(() => {
      host.runtime = "fake";
      host.holdBuilds = false;
    });

    it("queues a build with its archive, streams its events to the end, and makes a template of the team", async () => {
      const archive = [Buffer.alloc(300_000, 1), Buffer.alloc(5_000, 2)];
      const template = name();
      const { build } = await clients.builds.createBuild(buildRequests(spec({ name: `${template}:v1`, recipe: "FROM base:small\nRUN echo hi\nENV A=1\n", diskMib: 4096 }), archive));
      expect(build).toMatchObject({
        name: `${template}:v1`,
        status: BuildStatus.BUILD_STATUS_RUNNING,
        stepsTotal: 2,
        archiveBytes: 305_000,
        archiveSha256: createHash("sha256").update(Buffer.concat(archive)).digest("hex"),
        resources: { vcpus: 1, memoryMib: 1024, diskMib: 4096 },
      });
      expect(build!.buildId).toMatch(/^bld-[0-9a-f]{32}$/);
      const hostBuild = host.builds.get(build!.buildId)!;
      expect(hostBuild.spec).toMatchObject({ fromTemplateId: "base-1x1024", diskMib: 4096 });

      const events = await collect(clients.builds.watchBuild({ buildId: build!.buildId, afterSeq: 0 }));
      expect(events.map(kind)).toEqual(["phase", "stepStarted", "stepOutput", "stepFinished", "stepStarted", "stepOutput", "stepFinished", "ended"]);
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(events[1].stepStarted).toMatchObject({ step: 1, line: 2, instruction: "RUN echo hi", cached: false });
      const ended = events.at(-1)!.ended!;
      expect(ended.status).toBe(BuildStatus.BUILD_STATUS_SUCCEEDED);
      expect(ended.template).toMatchObject({ name: template, tag: "v1", defaultUser: "wrenn-user", defaultWorkdir: "/home/wrenn-user", envs: { BUILT: "yes" }, buildId: build!.buildId, parent: "base:small" });

      const done = (await clients.builds.getBuild({ buildId: build!.buildId })).build!;
      expect(done).toMatchObject({ status: BuildStatus.BUILD_STATUS_SUCCEEDED, stepsDone: 2, stepsCached: 0, templateId: ended.template!.templateId, error: "" });
      expect(done.finishedAt).toBeDefined();
      const made = (await clients.templates.getTemplate({ templateId: `${template}:v1` })).template!;
      expect(made).toMatchObject({ templateId: ended.template!.templateId, diskBytes: 12345678, resources: { vcpus: 2, memoryMib: 1024, diskMib: 4096 } });
      // The build log replays from any point.
      expect((await collect(clients.builds.watchBuild({ buildId: build!.buildId, afterSeq: 6 }))).map((e) => e.seq)).toEqual([7, 8]);
      expect((await clients.builds.listBuilds({})).builds[0]?.buildId).toBe(build!.buildId);
      // A sandbox starts from it on the host's template of that id.
      const { sandbox } = await cp.sandboxes.createSandbox({ templateId: `${template}:v1`, metadata: {}, envs: {}, waitReady: true });
      expect(host.sandboxes.get(sandbox!.sandboxId)?.templateId).toBe(made.templateId);
    });

    it("ends a build whose RUN fails as FAILED with the step's line, and makes no template", async () => {
      const template = name();
      const { build } = await clients.builds.createBuild(buildRequests(spec({ name: template, recipe: "RUN true\n\nRUN exit 1\nRUN true\n" })));
      const events = await collect(clients.builds.watchBuild({ buildId: build!.buildId, afterSeq: 0 }));
      expect(events.at(-2)?.stepFailed).toMatchObject({ step: 2, line: 3, reason: "exit code 1" });
      expect(events.at(-1)?.ended).toMatchObject({ status: BuildStatus.BUILD_STATUS_FAILED, error: "step 2 (line 3) failed: exit code 1" });
      expect((await clients.builds.getBuild({ buildId: build!.buildId })).build).toMatchObject({ status: BuildStatus.BUILD_STATUS_FAILED, failedLine: 3, stepsDone: 1, templateId: "" });
      await expect(clients.templates.getTemplate({ templateId: template })).rejects.toMatchObject({ code: Status.NOT_FOUND });
    });

    it("cancels a running build: CANCELLED, no template, and a second cancel is FAILED_PRECONDITION", async () => {
      host.holdBuilds = true;
      const template = name();
      const { build } = await clients.builds.createBuild(buildRequests(spec({ name: template, recipe: "RUN sleep 1000\n" })));
      const { build: cancelled } = await clients.builds.cancelBuild({ buildId: build!.buildId });
      expect(cancelled).toMatchObject({ status: BuildStatus.BUILD_STATUS_CANCELLED, error: "cancelled" });
      host.holdBuilds = false;
      const events = await collect(clients.builds.watchBuild({ buildId: build!.buildId, afterSeq: 0 }));
      expect(events.at(-1)?.ended?.status).toBe(BuildStatus.BUILD_STATUS_CANCELLED);
      await expect(clients.templates.getTemplate({ templateId: template })).rejects.toMatchObject({ code: Status.NOT_FOUND });
      await expect(clients.builds.cancelBuild({ buildId: build!.buildId })).rejects.toMatchObject({ code: Status.FAILED_PRECONDITION, details: "build already ended (cancelled)" });
    });

    it("a restarted controlplane follows a running build to its end; a build its host forgot ends FAILED interrupted", async () => {
      host.holdBuilds = true;
      const template = name();
      const { build } = await clients.builds.createBuild(buildRequests(spec({ name: template, recipe: "RUN one\nRUN two\n" })));
      const forgotten = (await clients.builds.createBuild(buildRequests(spec({ name: name(), recipe: "RUN one\n" })))).build!;
      await cp.running.stop();
      host.builds.delete(forgotten.buildId);
      const again = await startTestControlPlane({ hostAgentUrl: host.address });
      const resumed = templateClients(again.running.grpcAddress, cp.apiKey);
      try {
        host.holdBuilds = false;
        const events = await collect(resumed.builds.watchBuild({ buildId: build!.buildId, afterSeq: 0 }));
        expect(events.map((e) => e.seq)).toEqual(events.map((_e, i) => i + 1));
        expect(events.at(-1)?.ended?.status).toBe(BuildStatus.BUILD_STATUS_SUCCEEDED);
        expect((await resumed.templates.getTemplate({ templateId: template })).template?.buildId).toBe(build!.buildId);
        const lost = await collect(resumed.builds.watchBuild({ buildId: forgotten.buildId, afterSeq: 0 }));
        expect(lost.at(-1)?.ended).toMatchObject({ status: BuildStatus.BUILD_STATUS_FAILED, error: "interrupted: the host agent restarted" });
        expect((await resumed.builds.getBuild({ buildId: forgotten.buildId })).build?.status).toBe(BuildStatus.BUILD_STATUS_FAILED);
      } finally {
        resumed.close();
        await again.close();
        cp = await startTestControlPlane({ hostAgentUrl: host.address });
        clients.close();
        clients = templateClients(cp.running.grpcAddress, cp.apiKey);
      }
    });
  });
});
