import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BuildState, type BuildEvent } from "@wrenn/gen/wrenn/hostagent/v1/build.js";
import { Status } from "@wrenn/shared";
import { exec, newSandboxId, qemuInstalled, startAgent, stopAgentAndSandboxes, type AgentProcess } from "../harness.js";
import { buildClient, eventsUntilEnd, leftovers, makeTarGz, specOf, startBuild, waitForEvent, type BuildClient } from "./build-helpers.js";

/**
 * The host agent's BuildService on real QEMU (TCG): a recipe using every
 * instruction makes a template whose sandboxes show its results; a second
 * identical build runs nothing; a failing RUN names its step and line; a
 * cancelled build and a bad request leave nothing behind.
 */
const imagesDir = process.env.WRENN_TEST_IMAGES_DIR ?? "/var/lib/wrenn/images";

const ended = (events: BuildEvent[]) => events.at(-1)?.ended;

describe.runIf(qemuInstalled)("BuildService on QEMU", () => {
  let agent: AgentProcess;
  let builds: BuildClient;

  beforeAll(async () => {
    agent = await startAgent({ WRENN_RUNTIME: "qemu", WRENN_IMAGES_DIR: imagesDir }, 900_000);
    builds = buildClient(agent);
  }, 900_000);
  afterAll(async () => {
    if (agent) await stopAgentAndSandboxes(agent);
  });

  const recipe = [
    "# every instruction",
    "RUN echo ran-as-$(id -un) && echo from-run > /home/wrenn-user/by-run.txt",
    "ENV GREETING=hello APP_MODE=test",
    "USER app",
    "WORKDIR /srv/app",
    "COPY site/ ./",
    "COPY notes.txt extra.txt more/",
    "START while true; do date +%s > /tmp/beat; sleep 1; done",
    "READY test -s /tmp/beat",
  ].join("\n");
  const files = { "site/index.html": "<h1>hi</h1>\n", "site/css/app.css": "body{}\n", "notes.txt": "notes\n", "extra.txt": "extra\n" };

  test("a recipe with every instruction makes a template whose sandbox shows user, workdir, env, copied files and the started process", async () => {
    const archive = await makeTarGz(files);
    const spec = specOf(recipe);
    const t0 = performance.now();
    const started = await startBuild(builds, spec, archive);
    expect(started.stepsTotal).toBe(8);
    expect(started.archiveBytes).toBe(archive.length);
    expect(started.archiveSha256).toMatch(/^[0-9a-f]{64}$/);
    const events = await eventsUntilEnd(builds, spec.buildId);
    console.log(`[build] uncached build of 8 steps: ${Math.round(performance.now() - t0)} ms`);
    const end = ended(events);
    expect(end?.error).toBe("");
    expect(end?.state).toBe(BuildState.BUILD_STATE_SUCCEEDED);
    expect(end?.template).toMatchObject({ templateId: spec.templateId, defaultUser: "app", defaultWorkdir: "/srv/app", envs: { GREETING: "hello", APP_MODE: "test" } });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.stepStarted).map((e) => [e.stepStarted!.step, e.stepStarted!.line, e.stepStarted!.cached])).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((step) => [step, step + 1, false]),
    );
    const runOutput = events.filter((e) => e.stepOutput?.step === 1).map((e) => e.stepOutput!.text).join("");
    expect(runOutput).toBe("ran-as-wrenn-user\n");
    expect(events.filter((e) => e.stepFinished).length).toBe(8);
    expect((await builds.listBuilds({})).builds.find((b) => b.buildId === spec.buildId)).toMatchObject({ state: BuildState.BUILD_STATE_SUCCEEDED, lastSeq: events.length });
    // Nothing of the build is left but the template (and the cache).
    expect(await leftovers(agent.dataDir, spec.buildId, "no-such")).toEqual({ sandboxDirs: [], buildDir: false, templateDirs: [], qemu: [] });

    const sandboxId = newSandboxId();
    await agent.sandboxes.createSandbox({ sandboxId, templateId: spec.templateId, startTimeoutSeconds: 120 });
    const shown = await exec(agent, sandboxId, "sh", ["-c", 'id -un; pwd; echo "$GREETING $APP_MODE"; cat index.html css/app.css more/notes.txt more/extra.txt /home/wrenn-user/by-run.txt; stat -c %U index.html css more/extra.txt']);
    expect(shown.stdout).toBe("app\n/srv/app\nhello test\n<h1>hi</h1>\nbody{}\nnotes\nextra\nfrom-run\napp\napp\napp\n");
    // START's loop runs on in the template's sandboxes: the beat moves.
    const beat = Number((await exec(agent, sandboxId, "cat", ["/tmp/beat"])).stdout);
    await new Promise((r) => setTimeout(r, 2500));
    expect(Number((await exec(agent, sandboxId, "cat", ["/tmp/beat"])).stdout)).toBeGreaterThan(beat);
    await agent.sandboxes.destroySandbox({ sandboxId });

    // The same recipe and archive again: every step is cached and nothing runs.
    const again = specOf(recipe);
    const t1 = performance.now();
    await startBuild(builds, again, archive);
    const second = await eventsUntilEnd(builds, again.buildId);
    console.log(`[build] the same build, all cached: ${Math.round(performance.now() - t1)} ms`);
    expect(ended(second)?.state).toBe(BuildState.BUILD_STATE_SUCCEEDED);
    expect(second.filter((e) => e.stepStarted).every((e) => e.stepStarted!.cached)).toBe(true);
    expect(second.filter((e) => e.stepStarted).length).toBe(8);
    expect(second.some((e) => e.stepOutput)).toBe(false);
    expect(second.some((e) => e.phase?.phase === "sandbox")).toBe(false);

    // A changed file in the archive: the steps before the first COPY stay cached, the rest run.
    const changed = specOf(recipe);
    await startBuild(builds, changed, await makeTarGz({ ...files, "site/index.html": "<h1>changed</h1>\n" }));
    const third = await eventsUntilEnd(builds, changed.buildId);
    expect(ended(third)?.state).toBe(BuildState.BUILD_STATE_SUCCEEDED);
    expect(third.filter((e) => e.stepStarted).map((e) => e.stepStarted!.cached)).toEqual([true, true, true, true, false, false, false, false]);
    for (const id of [spec.templateId, again.templateId, changed.templateId]) await agent.sandboxes.deleteTemplate({ templateId: id });
  }, 900_000);

  test("a bigger disk is grown (device and filesystem); a build FROM a built template works; deleting that template drops the cache entries backed by it", async () => {
    const base = (await agent.sandboxes.listTemplates({})).templates.find((t) => t.templateId === "base")!;
    const grown = specOf("RUN df -m --output=size / | tail -1 | tr -d ' ' > /home/wrenn-user/df.txt", { diskMib: base.diskMib + 512 });
    await startBuild(builds, grown);
    const first = await eventsUntilEnd(builds, grown.buildId);
    expect(ended(first)?.error).toBe("");
    expect(ended(first)?.template?.diskMib).toBe(base.diskMib + 512);

    const child = specOf("RUN cat df.txt > copied.txt", { fromTemplateId: grown.templateId });
    await startBuild(builds, child);
    const second = await eventsUntilEnd(builds, child.buildId);
    expect(ended(second)?.error).toBe("");
    const sandboxId = newSandboxId();
    await agent.sandboxes.createSandbox({ sandboxId, templateId: child.templateId, startTimeoutSeconds: 120 });
    const size = Number((await exec(agent, sandboxId, "cat", ["/home/wrenn-user/copied.txt"])).stdout);
    // The filesystem took the new space (ext4 keeps some for itself).
    expect(size).toBeGreaterThan(base.diskMib + 400);
    await agent.sandboxes.destroySandbox({ sandboxId });

    const backedBy = async (templateId: string) => {
      let n = 0;
      for (const key of await readdir(join(agent.dataDir, "build-cache"))) {
        const meta = JSON.parse(await readFile(join(agent.dataDir, "build-cache", key, "build-step.json"), "utf8").catch(() => "{}")) as { templateId?: string };
        if (meta.templateId === templateId) n += 1;
      }
      return n;
    };
    expect(await backedBy(grown.templateId)).toBe(1);
    await agent.sandboxes.deleteTemplate({ templateId: child.templateId });
    await agent.sandboxes.deleteTemplate({ templateId: grown.templateId });
    expect(await backedBy(grown.templateId)).toBe(0);
  }, 600_000);

  test("FROM a base size not made yet: the build makes it, and a second build of the same recipe is all cached", async () => {
    const recipeText = "RUN nproc > /home/wrenn-user/cpus.txt";
    const first = specOf(recipeText, { fromTemplateId: "base-1x1024" });
    await startBuild(builds, first);
    const one = await eventsUntilEnd(builds, first.buildId);
    expect(ended(one)?.error).toBe("");
    expect(ended(one)?.template).toMatchObject({ vcpus: 1, memoryMib: 1024 });
    const second = specOf(recipeText, { fromTemplateId: "base-1x1024" });
    await startBuild(builds, second);
    const two = await eventsUntilEnd(builds, second.buildId);
    expect(two.filter((e) => e.stepStarted).map((e) => e.stepStarted!.cached)).toEqual([true]);
    for (const id of [first.templateId, second.templateId]) await agent.sandboxes.deleteTemplate({ templateId: id });
  }, 600_000);

  test("a failing RUN reports its step, line and output, and leaves no sandbox, directory or template", async () => {
    const spec = specOf("RUN echo fine\n\nRUN echo broken >&2; exit 3\nRUN echo never");
    await startBuild(builds, spec);
    const events = await eventsUntilEnd(builds, spec.buildId);
    const failed = events.find((e) => e.stepFailed)?.stepFailed;
    expect(failed).toMatchObject({ step: 2, line: 3, reason: "exit code 3" });
    expect(failed?.outputTail).toContain("broken");
    expect(ended(events)).toMatchObject({ state: BuildState.BUILD_STATE_FAILED, error: "step 2 (line 3) failed: exit code 3\nbroken" });
    expect(events.some((e) => e.stepStarted?.step === 3)).toBe(false);
    expect(await leftovers(agent.dataDir, spec.buildId, spec.templateId)).toEqual({ sandboxDirs: [], buildDir: false, templateDirs: [], qemu: [] });
    expect((await agent.sandboxes.listTemplates({})).templates.map((t) => t.templateId)).not.toContain(spec.templateId);
  }, 300_000);

  test("a cancelled build leaves nothing: no sandbox, process, build directory or template", async () => {
    const spec = specOf("RUN echo started; sleep 600");
    await startBuild(builds, spec);
    await waitForEvent(builds, spec.buildId, (e) => e.stepOutput?.text === "started\n");
    expect((await leftovers(agent.dataDir, spec.buildId, spec.templateId)).qemu.length).toBe(1);
    await builds.cancelBuild({ buildId: spec.buildId });
    const events = await eventsUntilEnd(builds, spec.buildId);
    expect(ended(events)).toMatchObject({ state: BuildState.BUILD_STATE_CANCELLED, error: "cancelled" });
    expect(await leftovers(agent.dataDir, spec.buildId, spec.templateId)).toEqual({ sandboxDirs: [], buildDir: false, templateDirs: [], qemu: [] });
    expect((await agent.sandboxes.listTemplates({})).templates.map((t) => t.templateId)).not.toContain(spec.templateId);
    // Cancelling an ended build is a no-op.
    await builds.cancelBuild({ buildId: spec.buildId });
  }, 300_000);

  test("bad StartBuild requests get a status naming the problem and leave no build directory", async () => {
    const cases: Array<[Parameters<typeof specOf>[0], Parameters<typeof specOf>[1], Status, RegExp]> = [
      ["FROBNICATE x", {}, Status.INVALID_ARGUMENT, /^line 1: /],
      ["RUN true\nCOPY a.txt /x", {}, Status.INVALID_ARGUMENT, /^line 2: .*archive/],
      ["RUN true", { fromTemplateId: "no-such-template" }, Status.NOT_FOUND, /no-such-template/],
      ["RUN true", { templateId: "base" }, Status.ALREADY_EXISTS, /base/],
      ["RUN true", { buildId: "bld-nope" }, Status.INVALID_ARGUMENT, /build_id/],
      ["RUN true", { diskMib: 16 }, Status.INVALID_ARGUMENT, /only grow/],
    ];
    for (const [recipeText, extra, code, message] of cases) {
      const spec = specOf(recipeText, extra);
      const err = await startBuild(builds, spec).then(
        () => undefined,
        (e: { code: Status; details: string }) => e,
      );
      expect(err?.code, recipeText).toBe(code);
      expect(err?.details).toMatch(message);
      expect(existsSync(join(agent.dataDir, "builds", spec.buildId))).toBe(false);
    }
    // An archive that is not one.
    const spec = specOf("COPY a /a");
    await expect(startBuild(builds, spec, Buffer.from("not an archive at all"))).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
    // A COPY source missing from the archive names its line.
    await expect(startBuild(builds, specOf("RUN true\nCOPY missing.txt /x"), await makeTarGz({ "a.txt": "a" }))).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT, details: expect.stringMatching(/^line 2: /) });
    await expect(eventsUntilEnd(builds, "bld-00000000000000000000000000000000")).rejects.toMatchObject({ code: Status.NOT_FOUND });
    await expect(builds.cancelBuild({ buildId: "bld-00000000000000000000000000000000" })).rejects.toMatchObject({ code: Status.NOT_FOUND });
  }, 120_000);
});

describe("BuildService on the namespace runtime", () => {
  test("StartBuild is FAILED_PRECONDITION naming the runtime", async () => {
    const agent = await startAgent({ WRENN_RUNTIME: "namespace" });
    try {
      await expect(startBuild(buildClient(agent), specOf("RUN true"))).rejects.toMatchObject({ code: Status.FAILED_PRECONDITION, details: expect.stringContaining("the namespace runtime cannot make templates") });
    } finally {
      await agent.stop();
    }
  });
});
