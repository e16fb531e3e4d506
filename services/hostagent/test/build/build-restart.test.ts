import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { afterAll, describe, expect, test } from "vitest";
import { BuildState } from "@wrenn/gen/wrenn/hostagent/v1/build.js";
import { qemuInstalled, startAgent, stopAgentAndSandboxes, type AgentProcess } from "../harness.js";
import { buildClient, eventsUntilEnd, leftovers, specOf, startBuild, waitForEvent } from "./build-helpers.js";

/**
 * An agent killed during a build: the next start on the same data dir
 * removes the build's sandbox and directory, and reports the build FAILED
 * "interrupted" to a watcher resuming from the last seq it saw.
 */
const imagesDir = process.env.WRENN_TEST_IMAGES_DIR ?? "/var/lib/wrenn/images";

describe.runIf(qemuInstalled)("a build the agent restarted under", () => {
  let dataDir: string | undefined;
  let agent: AgentProcess | undefined;
  afterAll(async () => {
    if (agent) await stopAgentAndSandboxes(agent);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test("is FAILED interrupted after the restart, with nothing of it left", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "wrenn-build-restart-"));
    const env = { WRENN_RUNTIME: "qemu", WRENN_IMAGES_DIR: imagesDir, WRENN_DATA_DIR: dataDir, WRENN_SANDBOXES_ON_STOP: "keep" };
    agent = await startAgent(env, 900_000);
    const spec = specOf("RUN echo started; sleep 600");
    await startBuild(buildClient(agent), spec);
    const seen = await waitForEvent(buildClient(agent), spec.buildId, (e) => e.stepOutput?.text === "started\n");
    // Killed outright: nothing of the build is unwound by this run.
    agent.child.kill("SIGKILL");
    await once(agent.child, "exit").catch(() => {});
    agent.channel.close();

    agent = await startAgent(env, 900_000);
    const builds = buildClient(agent);
    const events = await eventsUntilEnd(builds, spec.buildId, seen.seq);
    expect(events.length).toBe(1);
    expect(events[0]?.seq).toBe(seen.seq + 1);
    expect(events[0]?.ended).toMatchObject({ state: BuildState.BUILD_STATE_FAILED, error: "interrupted: the host agent restarted" });
    expect((await builds.listBuilds({})).builds).toEqual([expect.objectContaining({ buildId: spec.buildId, state: BuildState.BUILD_STATE_FAILED })]);
    expect(await leftovers(dataDir, spec.buildId, spec.templateId)).toEqual({ sandboxDirs: [], buildDir: false, templateDirs: [], qemu: [] });
    expect((await agent.sandboxes.listSandboxes({})).sandboxes).toEqual([]);
  }, 900_000);
});
