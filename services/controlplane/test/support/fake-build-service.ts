import { createHash } from "node:crypto";
import { ServerError, Status } from "nice-grpc";
import { parseRecipe } from "@wrenn/shared";
import { BuildServiceDefinition, BuildState, type BuildEvent, type BuildServiceImplementation } from "@wrenn/gen/wrenn/hostagent/v1/build.js";
import type { Template } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { withUnimplemented } from "./with-unimplemented.js";

/** One build the fake runs: its events so far, and whoever waits for more. */
export interface FakeBuild {
  spec: { templateId: string; fromTemplateId: string; recipe: string; diskMib: number };
  archiveBytes: number;
  events: BuildEvent[];
  ended: boolean;
  wake: Set<() => void>;
}

export interface FakeBuildState {
  /** "qemu" builds; anything else refuses as the namespace runtime does. */
  runtime: string;
  builds: Map<string, FakeBuild>;
  /** Milliseconds per step; builds wait (until cancelled) while `holdBuilds` is set. */
  stepMs: number;
  holdBuilds: boolean;
  templates: Map<string, Template>;
}

/**
 * The host agent's BuildService as a test double: a build "runs" each step
 * of its recipe (a RUN containing "exit 1" fails with the step's line),
 * emitting the events the real builder emits, and ends with a template
 * registered in the fake's template list. Used to test the controlplane's
 * follower, watch and cancel around it; the real builder is tested against
 * QEMU in test/integration.
 */
export function fakeBuildService(state: FakeBuildState) {
  const push = (build: FakeBuild, event: Omit<BuildEvent, "seq" | "at">) => {
    if (build.ended) return;
    build.events.push({ seq: build.events.length + 1, at: new Date(), ...event } as BuildEvent);
    if (event.ended) build.ended = true;
    for (const wake of build.wake) wake();
    build.wake.clear();
  };

  async function run(build: FakeBuild): Promise<void> {
    const recipe = parseRecipe(build.spec.recipe);
    push(build, { phase: { phase: "preparing base", detail: build.spec.fromTemplateId } });
    for (const [index, step] of recipe.steps.entries()) {
      const n = index + 1;
      push(build, { stepStarted: { step: n, line: step.line, instruction: step.text, cached: false } });
      while (state.holdBuilds && !build.ended) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, state.stepMs));
      if (build.ended) return;
      if (step.kind === "RUN" && step.command.includes("exit 1")) {
        push(build, { stepOutput: { step: n, stream: "stderr", text: "failing on purpose\n" } });
        push(build, { stepFailed: { step: n, line: step.line, reason: "exit code 1", outputTail: "failing on purpose\n" } });
        push(build, { ended: { state: BuildState.BUILD_STATE_FAILED, error: `step ${n} (line ${step.line}) failed: exit code 1`, template: undefined } });
        return;
      }
      push(build, { stepOutput: { step: n, stream: "stdout", text: `ran ${step.kind}\n` } });
      push(build, { stepFinished: { step: n, durationMs: state.stepMs, cached: false } });
    }
    const template: Template = {
      templateId: build.spec.templateId,
      parentTemplateId: build.spec.fromTemplateId,
      createdAt: new Date(),
      vcpus: 2,
      memoryMib: 1024,
      users: 0,
      diskMib: build.spec.diskMib || 2048,
      defaultUser: "wrenn-user",
      defaultWorkdir: "/home/wrenn-user",
      envs: { BUILT: "yes" },
      diskBytes: 12345678,
    };
    state.templates.set(template.templateId, template);
    push(build, { ended: { state: BuildState.BUILD_STATE_SUCCEEDED, error: "", template } });
  }

  return withUnimplemented<BuildServiceImplementation>(BuildServiceDefinition, {
    async startBuild(requests) {
      let spec: FakeBuild["spec"] | undefined;
      let buildId = "";
      const hash = createHash("sha256");
      let bytes = 0;
      for await (const request of requests) {
        if (request.spec) {
          if (state.runtime !== "qemu") throw new ServerError(Status.FAILED_PRECONDITION, "the namespace runtime cannot make templates: no memory snapshots");
          spec = request.spec;
          buildId = request.spec.buildId;
        } else if (request.archiveChunk) {
          hash.update(request.archiveChunk);
          bytes += request.archiveChunk.length;
        }
      }
      if (!spec) throw new ServerError(Status.INVALID_ARGUMENT, "no spec");
      const build: FakeBuild = { spec, archiveBytes: bytes, events: [], ended: false, wake: new Set() };
      state.builds.set(buildId, build);
      void run(build);
      return { archiveSha256: bytes ? hash.digest("hex") : "", archiveBytes: bytes, stepsTotal: parseRecipe(spec.recipe).steps.length };
    },
    async *watchBuild(request, context) {
      const build = state.builds.get(request.buildId);
      if (!build) throw new ServerError(Status.NOT_FOUND, `build ${request.buildId} not found`);
      let next = request.afterSeq;
      for (;;) {
        while (next < build.events.length) yield { event: build.events[next++] };
        if (build.ended || context.signal.aborted) return;
        await new Promise<void>((resolve) => {
          build.wake.add(resolve);
          context.signal.addEventListener("abort", () => resolve(), { once: true });
        });
      }
    },
    async cancelBuild(request) {
      const build = state.builds.get(request.buildId);
      if (!build) throw new ServerError(Status.NOT_FOUND, `build ${request.buildId} not found`);
      push(build, { ended: { state: BuildState.BUILD_STATE_CANCELLED, error: "cancelled", template: undefined } });
      return {};
    },
  });
}
