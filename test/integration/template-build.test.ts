import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, Status } from "nice-grpc";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { repoRoot, startStack, type Stack } from "@wrenn/devstack";
import { BuildStatus, type Build, type BuildEvent } from "@wrenn/gen/wrenn/api/v1/template.js";
import { hostSandboxIds, processesWith } from "../harness/host-traces.js";
import { tarGz } from "../harness/tar-archive.js";
import {
  buildEvents,
  buildOutput,
  createBuild,
  describeBuild,
  finishedBuild,
  postBuild,
  qemuStackOptions,
  templateApi,
  type TemplateApi,
} from "../harness/template-builds.js";

// A recipe with every instruction, built on a real stack (QEMU under TCG,
// each step a real guest command), then used the way a user would: a
// sandbox from the template, its defaults, its files, its server through
// the port proxy. Then the cache, bad recipes and a cancel.
let stack: Stack;
let client: WrennClient;
let api: TemplateApi;

beforeAll(async () => {
  stack = await startStack(qemuStackOptions("wtb", "10.240.0.0/16"));
  client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
  api = templateApi(stack.grpcAddress, stack.apiKey);
}, 16 * 60_000);

afterAll(async () => {
  const { sandboxes } = (await client?.sandboxes.listSandboxes({}).catch(() => undefined)) ?? { sandboxes: [] };
  for (const s of sandboxes) {
    if (s.status !== SandboxStatus.SANDBOX_STATUS_STOPPED) await client.sandboxes.destroySandbox({ sandboxId: s.sandboxId, wait: true }).catch(() => undefined);
  }
  api?.close();
  client?.close();
  await stack?.close();
}, 5 * 60_000);

const web = 8080;
// Every instruction once (FROM, RUN, USER, WORKDIR, ENV, COPY, START, READY);
// lines are numbered for the assertions below.
const recipe = [
  "# a web app from an uploaded site", // 1
  "FROM base", // 2
  "RUN whoami > /home/wrenn-user/built-by", // 3
  "USER app", // 4
  "WORKDIR /srv/app", // 5
  "ENV GREETING=hello MODE=built", // 6
  "COPY site notes.txt ./", // 7
  `START node -e "require('http').createServer((q, r) => r.end(process.env.GREETING + ' from ' + require('os').userInfo().username + ' in ' + process.cwd())).listen(${web}, '127.0.0.1')"`, // 8
  `READY node -e "fetch('http://127.0.0.1:${web}/').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"`, // 9
].join("\n");
const archive = tarGz([
  { path: "site", type: "dir" },
  { path: "site/index.html", content: "<h1>site</h1>\n" },
  { path: "site/sub", type: "dir" },
  { path: "site/sub/a.txt", content: "file a\n" },
  { path: "notes.txt", content: "notes from the archive\n", mode: 0o600 },
]);

function started(events: BuildEvent[]) {
  return events.flatMap((e) => (e.stepStarted ? [e.stepStarted] : []));
}

function finished(events: BuildEvent[]) {
  return events.flatMap((e) => (e.stepFinished ? [e.stepFinished] : []));
}

async function grpcError(promise: Promise<unknown>): Promise<ClientError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected a gRPC error").toBeInstanceOf(ClientError);
  return err as ClientError;
}

/** `./wrenn template build …` run from `cwd` (where -f and --archive are), against the stack. */
function cli(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, WRENN_API_ADDR: stack.grpcAddress, WRENN_API_KEY: stack.apiKey };
    execFile(join(repoRoot, "wrenn"), ["template", "build", ...args], { cwd, env, timeout: 600_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

async function sh(sandboxId: string, script: string): Promise<string> {
  const result = await client.run(sandboxId, "sh", ["-c", script]);
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout;
}

describe("a recipe with every instruction", () => {
  let first: { build: Build; events: BuildEvent[] };

  it("builds over HTTP multipart (recipe + tar.gz) and streams each step: started, output, finished with a duration", async () => {
    const created = await postBuild(stack.httpUrl, stack.apiKey, { name: "webapp:v1", recipe }, { name: "site.tar.gz", bytes: archive });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const buildId: string = created.body.build.buildId;
    expect(buildId).toMatch(/^bld-[0-9a-f]{32}$/);
    expect(created.body.build.name).toBe("webapp:v1");
    expect(created.body.build.archiveBytes).toBe(String(archive.length));

    first = await finishedBuild(api, buildId);
    const { build, events } = first;
    expect(build.status, describeBuild(build, events)).toBe(BuildStatus.BUILD_STATUS_SUCCEEDED);
    expect(build.templateId).toMatch(/^tpl-[0-9a-f]{32}$/);
    expect(build.stepsTotal).toBe(7);
    expect(build.stepsDone).toBe(7);
    expect(build.stepsCached).toBe(0);
    // Events count from 1 without gaps; each step starts and finishes once, in order, at its line.
    expect(events.map((e) => Number(e.seq))).toEqual(events.map((_e, i) => i + 1));
    expect(started(events).map((s) => [s.step, s.line, s.cached])).toEqual([3, 4, 5, 6, 7, 8, 9].map((line, i) => [i + 1, line, false]));
    expect(started(events)[0].instruction).toBe("RUN whoami > /home/wrenn-user/built-by");
    expect(finished(events).map((f) => f.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(finished(events).find((f) => f.step === 1)!.durationMs).toBeGreaterThan(0);
    expect(events.at(-1)?.ended?.status).toBe(BuildStatus.BUILD_STATUS_SUCCEEDED);
    expect(events.at(-1)?.ended?.template?.templateId).toBe(build.templateId);
  });

  it("the template carries its defaults, size, parent and build", async () => {
    const { template } = await api.templates.getTemplate({ templateId: "webapp:v1" });
    expect(template).toMatchObject({
      templateId: first.build.templateId,
      name: "webapp",
      tag: "v1",
      platform: false,
      defaultUser: "app",
      defaultWorkdir: "/srv/app",
      envs: { GREETING: "hello", MODE: "built" },
      buildId: first.build.buildId,
      parent: "base:latest",
    });
    expect(template!.diskBytes).toBeGreaterThan(0);
    expect(template!.resources?.vcpus).toBeGreaterThan(0);
    const { templates } = await api.templates.listTemplates({});
    expect(templates.map((t) => `${t.name}:${t.tag}`)).toContain("webapp:v1");
  });

  it("a sandbox from it: default user and workdir, the ENV values, the copied files' owner and content, and the server answering at once through the proxy", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ templateId: "webapp:v1", waitReady: true });
    expect(sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    const id = sandbox!.sandboxId;

    // The first request, no retry: the server was running when the template was made.
    const page = await fetch(`${stack.httpUrl}/proxy/${id}/${web}/`, { headers: { "x-api-key": stack.apiKey } });
    expect(page.status).toBe(200);
    expect(await page.text()).toBe("hello from app in /srv/app");

    expect((await sh(id, "whoami")).trim()).toBe("app");
    expect((await sh(id, "pwd")).trim()).toBe("/srv/app");
    expect(await sh(id, 'echo "$GREETING $MODE"')).toBe("hello built\n");
    // RUN before USER ran as the build's first user.
    expect(await sh(id, "cat /home/wrenn-user/built-by")).toBe("wrenn-user\n");
    // A directory source copies its contents; both sources land in the workdir, owned by the user of the COPY.
    expect(await sh(id, "cat notes.txt index.html sub/a.txt")).toBe("notes from the archive\n<h1>site</h1>\nfile a\n");
    expect(await sh(id, "stat -c '%U %a %n' notes.txt index.html sub sub/a.txt")).toBe("app 600 notes.txt\napp 644 index.html\napp 755 sub\napp 644 sub/a.txt\n");
    // The new user can use sudo without a password, as wrenn-user can.
    expect((await sh(id, "sudo -n whoami")).trim()).toBe("root");

    await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
  });

  it("a second build of the same recipe and archive (over gRPC) takes every step from the cache and runs none", async () => {
    const qemuBefore = (await processesWith("qemu-system")).length;
    const build = await createBuild(api, { name: "webapp:v1", recipe }, archive);
    const { build: done, events } = await finishedBuild(api, build.buildId);
    expect(done.status, describeBuild(done, events)).toBe(BuildStatus.BUILD_STATUS_SUCCEEDED);
    expect(done.archiveSha256).toBe(first.build.archiveSha256);
    expect(done.stepsCached).toBe(7);
    expect(started(events).map((s) => s.cached)).toEqual(Array(7).fill(true));
    expect(finished(events).map((f) => f.cached)).toEqual(Array(7).fill(true));
    expect(buildOutput(events)).toBe("");
    expect(events.some((e) => e.stepFailed)).toBe(false);
    // No build sandbox was needed (one would be a VM of its own while it ran).
    expect((await processesWith("qemu-system")).length).toBeLessThanOrEqual(qemuBefore);

    // It takes the name; the older template stays reachable by its id.
    const { template } = await api.templates.getTemplate({ templateId: "webapp:v1" });
    expect(template?.templateId).toBe(done.templateId);
    expect(template?.templateId).not.toBe(first.build.templateId);
    expect((await api.templates.getTemplate({ templateId: first.build.templateId })).template?.templateId).toBe(first.build.templateId);
  });
});

describe("the CLI", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wrenn-template-cli-"));
    await writeFile(join(dir, "recipe.txt"), recipe);
    await writeFile(join(dir, "site.tar.gz"), archive);
    await writeFile(join(dir, "fails.txt"), "FROM base\nENV WHO=step\nRUN echo \"$WHO about to fail\"; echo to-stderr >&2; exit 3\nRUN echo never\n");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("./wrenn template build of the unchanged recipe and archive reports every step cached and exits 0", async () => {
    const { code, stdout, stderr } = await cli(dir, ["-f", "recipe.txt", "--name", "webapp:v1", "--archive", "site.tar.gz"]);
    expect(code, stdout + stderr).toBe(0);
    expect(stdout.match(/\(cached\)/g)).toHaveLength(7);
    expect(stdout).toMatch(/Built webapp:v1 \(tpl-[0-9a-f]{32}\) in .*: 7 steps, 7 cached/);
  });

  it("a failing RUN exits non-zero with the line and the step's output; the build is FAILED at that line, with the exit code and output tail, and makes no template", async () => {
    const { code, stdout, stderr } = await cli(dir, ["-f", "fails.txt", "--name", "fails"]);
    expect(code, stdout + stderr).toBe(1);
    expect(stdout).toContain("recipe line 3");
    expect(stdout).toContain("step about to fail");

    const done = (await api.builds.listBuilds({})).builds.find((b) => b.name === "fails:latest")!;
    const events = await buildEvents(api, done.buildId);
    expect(done.status, describeBuild(done, events)).toBe(BuildStatus.BUILD_STATUS_FAILED);
    expect(done.failedLine).toBe(3);
    expect(done.error).toContain("exit code 3");
    expect(done.error).toContain("step about to fail");
    expect(done.templateId).toBe("");
    const failed = events.find((e) => e.stepFailed)?.stepFailed;
    expect(failed).toMatchObject({ step: 2, line: 3, reason: "exit code 3" });
    expect(failed!.outputTail).toContain("step about to fail");
    expect(failed!.outputTail).toContain("to-stderr");
    expect(started(events).map((s) => s.line)).not.toContain(4);
    expect(buildOutput(events)).not.toContain("never");
    expect(events.at(-1)?.ended?.status).toBe(BuildStatus.BUILD_STATUS_FAILED);
    expect(Status[(await grpcError(api.templates.getTemplate({ templateId: "fails" }))).code]).toBe("NOT_FOUND");
  });

  it("a bad line is refused before anything is sent", async () => {
    await writeFile(join(dir, "bad.txt"), "FROM base\nRUN true\nFROBNICATE now\n");
    const { code, stderr } = await cli(dir, ["-f", "bad.txt", "--name", "bad"]);
    expect(code).toBe(1);
    expect(stderr).toContain('bad.txt: line 3: unknown instruction "FROBNICATE"');
  });
});

describe("bad recipes fail naming the line", () => {
  it("an unknown instruction and a missing argument are INVALID_ARGUMENT at create, over gRPC and HTTP", async () => {
    const unknown = await grpcError(createBuild(api, { name: "bad", recipe: "FROM base\nRUN true\nFROBNICATE now\n" }));
    expect(Status[unknown.code]).toBe("INVALID_ARGUMENT");
    expect(unknown.details).toMatch(/^line 3: unknown instruction "FROBNICATE"/);

    const missing = await grpcError(createBuild(api, { name: "bad", recipe: "FROM base\n\nWORKDIR\n" }));
    expect(Status[missing.code]).toBe("INVALID_ARGUMENT");
    expect(missing.details).toMatch(/^line 3: WORKDIR needs an argument/);

    const overHttp = await postBuild(stack.httpUrl, stack.apiKey, { name: "bad", recipe: "RUN true\nCOPY only-one\n" });
    expect(overHttp.status).toBe(400);
    expect(overHttp.body.code).toBe("INVALID_ARGUMENT");
    expect(overHttp.body.message).toMatch(/^line 2: COPY needs/);
    expect((await api.builds.listBuilds({})).builds.map((b) => b.name)).not.toContain("bad:latest");
  });

  it("an archive entry leading out (..) is INVALID_ARGUMENT naming the entry", async () => {
    const escaping = tarGz([{ path: "ok.txt", content: "ok" }, { path: "../escape.txt", content: "out" }]);
    const err = await grpcError(createBuild(api, { name: "bad-archive", recipe: "COPY ok.txt /tmp/\n" }, escaping));
    expect(Status[err.code]).toBe("INVALID_ARGUMENT");
    expect(err.details).toContain("../escape.txt");
  });

  it("a COPY source leading out of the archive fails naming its line", async () => {
    const outcome = await createBuild(api, { name: "bad-source", recipe: "FROM base\nRUN true\nCOPY ../etc/passwd /tmp/\n" }, tarGz([{ path: "a.txt", content: "a" }])).then(
      async (build) => ({ build: await finishedBuild(api, build.buildId) }),
      (e: unknown) => ({ error: e }),
    );
    if ("error" in outcome) {
      // Refused before anything ran.
      expect(outcome.error).toBeInstanceOf(ClientError);
      expect(Status[(outcome.error as ClientError).code]).toBe("INVALID_ARGUMENT");
      expect((outcome.error as ClientError).details).toMatch(/^line 3: .*\.\.\/etc\/passwd/);
    } else {
      const { build, events } = outcome.build;
      expect(build.status, describeBuild(build, events)).toBe(BuildStatus.BUILD_STATUS_FAILED);
      expect(build.failedLine).toBe(3);
      expect(build.error).toContain("../etc/passwd");
    }
  });
});

describe("a cancelled build", () => {
  it("leaves nothing behind: no sandbox on the host, no VM, no template, nothing under the agent's builds/", async () => {
    const sandboxesBefore = (await hostSandboxIds(stack)).sort();
    const vmsBefore = await processesWith("qemu-system");
    const templatesBefore = (await api.templates.listTemplates({})).templates.map((t) => t.templateId);
    const build = await createBuild(api, { name: "cancelled", recipe: "FROM base\nRUN echo marker > /tmp/marker\nRUN echo sleeping; sleep 600\n" });

    // Wait until the long step runs in its build sandbox, then cancel.
    const seen: BuildEvent[] = [];
    const watching = new AbortController();
    try {
      for await (const { event } of api.builds.watchBuild({ buildId: build.buildId, afterSeq: 0 }, { signal: watching.signal })) {
        if (event) seen.push(event);
        if (event?.stepOutput?.text.includes("sleeping")) break;
        if (event?.ended) throw new Error(`the build ended before it was cancelled: ${describeBuild(build, seen)}`);
      }
    } finally {
      watching.abort();
    }
    // The build sandbox is a VM of its own while the step runs.
    const vmsBuilding = (await processesWith("qemu-system")).filter((pid) => !vmsBefore.includes(pid));
    expect(vmsBuilding).toHaveLength(1);
    expect((await readdir(join(stack.dataDir, "host", "builds"))).length).toBeGreaterThan(0);

    const { build: cancelled } = await api.builds.cancelBuild({ buildId: build.buildId });
    expect([BuildStatus.BUILD_STATUS_CANCELLED, BuildStatus.BUILD_STATUS_RUNNING]).toContain(cancelled!.status);
    const events = await buildEvents(api, build.buildId);
    expect(events.at(-1)?.ended?.status).toBe(BuildStatus.BUILD_STATUS_CANCELLED);
    const { build: after } = await api.builds.getBuild({ buildId: build.buildId });
    expect(after!.status).toBe(BuildStatus.BUILD_STATUS_CANCELLED);
    expect(after!.templateId).toBe("");

    await expect.poll(async () => (await hostSandboxIds(stack)).sort(), { timeout: 60_000, interval: 250, message: "the host's sandboxes" }).toEqual(sandboxesBefore);
    expect((await processesWith("qemu-system")).filter((pid) => vmsBuilding.includes(pid))).toEqual([]);
    expect(await readdir(join(stack.dataDir, "host", "builds"))).toEqual([]);
    expect((await api.templates.listTemplates({})).templates.map((t) => t.templateId)).toEqual(templatesBefore);
    expect(Status[(await grpcError(api.templates.getTemplate({ templateId: "cancelled" }))).code]).toBe("NOT_FOUND");
    // Cancelling again: the build already ended.
    expect(Status[(await grpcError(api.builds.cancelBuild({ buildId: build.buildId }))).code]).toBe("FAILED_PRECONDITION");
  });
});
