import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, Status } from "nice-grpc";
import { Sandbox } from "e2b";
import { startStack, type Stack } from "@wrenn/devstack";
import type { Template } from "@wrenn/gen/wrenn/api/v1/template.js";
import { mintE2bKey } from "../harness/e2b-stack.js";
import { qemuStackOptions, templateApi, type TemplateApi } from "../harness/template-builds.js";

// The E2B face's default template on a QEMU stack: nobody asks for it, the
// controlplane builds the platform's e2b-base as soon as the QEMU host is
// online, and the official SDK's `Sandbox.create()` (templateID "base")
// then lands in it: user `user` in /home/user with sudo, root beside it, and
// python3, curl and git from the image.
let stack: Stack;
let api: TemplateApi;
let template: Template;
let sbx: Sandbox;
const saved: Record<string, string | undefined> = {};

async function grpcCode(promise: Promise<unknown>): Promise<Status | undefined> {
  return promise.then(
    () => undefined,
    (err: unknown) => (err instanceof ClientError ? err.code : undefined),
  );
}

/** GetTemplate("e2b-base") until the platform's build made it (NOT_FOUND before). */
async function builtTemplate(deadlineMs: number): Promise<Template> {
  for (;;) {
    const found = await api.templates.getTemplate({ templateId: "e2b-base" }).then(
      (r) => r.template,
      (err: unknown) => {
        if (err instanceof ClientError && err.code === Status.NOT_FOUND) return undefined;
        throw err;
      },
    );
    if (found) return found;
    if (Date.now() > deadlineMs) throw new Error("the platform did not build e2b-base in time");
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

beforeAll(async () => {
  stack = await startStack({ ...qemuStackOptions("wet", "10.243.0.0/16"), platformTemplateBuilds: true });
  api = templateApi(stack.grpcAddress, stack.apiKey);
  const env = { E2B_API_URL: stack.httpUrl, E2B_SANDBOX_URL: stack.httpUrl, E2B_API_KEY: await mintE2bKey(stack) };
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  template = await builtTemplate(Date.now() + 10 * 60_000);
  sbx = await Sandbox.create();
}, 26 * 60_000);

afterAll(async () => {
  await sbx?.kill().catch(() => undefined);
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  api?.close();
  await stack?.close();
}, 5 * 60_000);

describe("the platform's e2b-base template", () => {
  it("is built without anyone asking, owned by the platform, with user `user` in /home/user", () => {
    expect(template).toMatchObject({ name: "e2b-base", tag: "latest", platform: true, teamId: "", defaultUser: "user", defaultWorkdir: "/home/user" });
    expect(template.buildId).toMatch(/^bld-/);
  });

  it("is listed for the team, and the team cannot delete it", async () => {
    const { templates } = await api.templates.listTemplates({});
    expect(templates.map((t) => `${t.name}:${t.tag}`)).toContain("e2b-base:latest");
    expect(await grpcCode(api.templates.deleteTemplate({ templateId: "e2b-base" }))).toBe(Status.PERMISSION_DENIED);
    expect((await api.templates.getTemplate({ templateId: template.templateId })).template?.templateId).toBe(template.templateId);
  });
});

describe("Sandbox.create() with the SDK's default template", () => {
  it("runs commands as `user` in /home/user", async () => {
    expect((await sbx.commands.run("whoami")).stdout.trim()).toBe("user");
    expect((await sbx.commands.run("pwd")).stdout.trim()).toBe("/home/user");
    expect((await sbx.commands.run("echo $HOME")).stdout.trim()).toBe("/home/user");
  });

  it("has passwordless sudo and a root user", async () => {
    // The hostname (the sandbox id) resolves locally: sudo does not wait on a DNS query for it.
    const started = Date.now();
    expect((await sbx.commands.run("sudo -n true")).exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await sbx.commands.run("getent hosts $(hostname)")).exitCode).toBe(0);
    expect((await sbx.commands.run("sudo -n whoami")).stdout.trim()).toBe("root");
    expect((await sbx.commands.run("whoami", { user: "root" })).stdout.trim()).toBe("root");
  });

  it("has bash, python3, curl and git", async () => {
    expect((await sbx.commands.run("python3 --version")).stdout).toMatch(/^Python 3\.\d+/);
    expect((await sbx.commands.run("curl --version")).stdout).toMatch(/^curl \d+/);
    expect((await sbx.commands.run("git --version")).stdout).toMatch(/^git version \d+/);
    expect((await sbx.commands.run("python3 -c 'print(6 * 7)'")).stdout.trim()).toBe("42");
    expect((await sbx.commands.run("bash -c 'echo $BASH_VERSION'")).stdout).toMatch(/^5\./);
  });

  it("writes a relative path into /home/user, owned by user", async () => {
    await sbx.files.write("hello.txt", "hello from the SDK\n");
    expect((await sbx.commands.run("cat /home/user/hello.txt")).stdout).toBe("hello from the SDK\n");
    expect((await sbx.commands.run("stat -c %U:%G /home/user/hello.txt")).stdout.trim()).toBe("user:user");
  });
});
