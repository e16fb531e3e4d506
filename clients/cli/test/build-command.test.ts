// buildTemplate against an in-process BuildService double: the double stands
// in for the controlplane only to check what the CLI sends and prints (the
// real stack is exercised by test/integration's template tests).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createChannel, createClient, createServer, ServerError, Status, type Server } from "nice-grpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BuildServiceDefinition,
  BuildStatus,
  type BuildServiceClient,
  type BuildServiceImplementation,
  type CreateBuildRequest,
} from "@wrenn/gen/wrenn/api/v1/template.js";
import { buildTemplate } from "../src/build-command.js";

let server: Server;
let client: BuildServiceClient;
let dir: string;
let received: { spec?: CreateBuildRequest["spec"]; archive: Buffer; chunks: number } | undefined;
let fail = false;

const unimplemented = () => Promise.reject(new ServerError(Status.UNIMPLEMENTED, "not in this double"));
const impl: BuildServiceImplementation = {
  listBuilds: unimplemented,
  getBuild: unimplemented,
  cancelBuild: unimplemented,
  async createBuild(requests) {
    const got = { archive: Buffer.alloc(0), chunks: 0 } as NonNullable<typeof received>;
    for await (const m of requests) {
      if (m.spec) got.spec = m.spec;
      if (m.archiveChunk) {
        got.archive = Buffer.concat([got.archive, m.archiveChunk]);
        got.chunks++;
      }
    }
    received = got;
    if (got.spec?.name === "taken:v1") throw new ServerError(Status.ALREADY_EXISTS, "a build of taken:v1 is running");
    return { build: { buildId: "bld-" + "1".repeat(32), name: got.spec!.name, stepsTotal: 2 } as never };
  },
  async *watchBuild() {
    yield { event: { seq: 1, at: undefined, stepStarted: { step: 1, line: 1, instruction: "RUN echo hi", cached: false } } };
    yield { event: { seq: 2, at: undefined, stepOutput: { step: 1, stream: "stdout", text: "hi\n" } } };
    yield { event: { seq: 3, at: undefined, stepFinished: { step: 1, durationMs: 250, cached: false } } };
    yield { event: { seq: 4, at: undefined, stepStarted: { step: 2, line: 2, instruction: "RUN exit 3", cached: false } } };
    if (fail) {
      yield { event: { seq: 5, at: undefined, stepFailed: { step: 2, line: 2, reason: "exit code 3", outputTail: "oops\n" } } };
      yield { event: { seq: 6, at: undefined, ended: { status: BuildStatus.BUILD_STATUS_FAILED, error: "line 2: exit code 3", template: undefined } } };
      return;
    }
    yield { event: { seq: 5, at: undefined, stepFinished: { step: 2, durationMs: 10, cached: false } } };
    yield {
      event: {
        seq: 6,
        at: undefined,
        ended: { status: BuildStatus.BUILD_STATUS_SUCCEEDED, error: "", template: { templateId: "tpl-" + "2".repeat(32), name: "web", tag: "v1" } as never },
      },
    };
  },
};

beforeAll(async () => {
  server = createServer();
  server.add(BuildServiceDefinition, impl);
  const port = await server.listen("127.0.0.1:0");
  client = createClient(BuildServiceDefinition, createChannel(`127.0.0.1:${port}`));
  dir = mkdtempSync(join(tmpdir(), "wrenn-cli-"));
  writeFileSync(join(dir, "Recipe"), "RUN echo hi\nRUN exit 3\n");
});
afterAll(async () => {
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

function capture() {
  let text = "";
  return { out: { write: (t: string) => void (text += t), isTTY: false }, text: () => text };
}

const args = (over: Partial<Parameters<typeof buildTemplate>[1]> = {}) => ({
  command: "build" as const,
  recipeFile: "Recipe",
  name: "web:v1",
  vcpus: 0,
  memoryMib: 0,
  diskMib: 3072,
  platform: false,
  stepTimeoutSeconds: 0,
  ...over,
});

describe("buildTemplate", () => {
  it("uploads spec and archive, prints the steps, and exits 0 with the template", async () => {
    const archive = Buffer.alloc(2 * 1024 * 1024 + 3, 9);
    writeFileSync(join(dir, "a.tar"), archive);
    fail = false;
    const out = capture();
    const err = capture();
    expect(await buildTemplate(client, args({ archive: "a.tar" }), dir, out.out, err.out)).toBe(0);
    expect(received?.spec).toMatchObject({ name: "web:v1", recipe: "RUN echo hi\nRUN exit 3\n", diskMib: 3072 });
    expect(received?.chunks).toBe(3);
    expect(received?.archive.equals(archive)).toBe(true);
    expect(out.text()).toContain("[1/2] RUN echo hi\n      hi\n      done in 0.3s\n[2/2] RUN exit 3\n");
    expect(out.text()).toContain(`template_id: tpl-${"2".repeat(32)}\nname: web:v1\n`);
    expect(err.text()).toBe("");
  });

  it("exits 1 with the failing step's line, reason and output", async () => {
    fail = true;
    const out = capture();
    expect(await buildTemplate(client, args(), dir, out.out, capture().out)).toBe(1);
    expect(out.text()).toContain("Build failed at step 2/2, recipe line 2: RUN exit 3\n  reason: exit code 3\n  output (last lines):\n    oops\n");
    expect(received?.chunks).toBe(0);
  });

  it("refuses a bad recipe before uploading anything, naming the line", async () => {
    writeFileSync(join(dir, "Bad"), "RUN true\nCOPY onlyone\n");
    received = undefined;
    const err = capture();
    expect(await buildTemplate(client, args({ recipeFile: "Bad" }), dir, capture().out, err.out)).toBe(1);
    expect(err.text()).toBe("error: Bad: line 2: COPY needs at least two arguments: one or more sources, then a destination\n");
    expect(received).toBeUndefined();
  });

  it("passes a server refusal on as an error", async () => {
    await expect(buildTemplate(client, args({ name: "taken:v1" }), dir, capture().out, capture().out)).rejects.toMatchObject({
      code: Status.ALREADY_EXISTS,
    });
  });
});
