import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, Metadata, Status } from "nice-grpc";
import { EnvdServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import { bwrapPidOf, exec, forSandbox, leftoversOf, newSandboxId, startAgent, type AgentProcess } from "./harness.js";

const nothingLeft = { dir: false, mounts: [], processes: [] };

describe("requests the agent must refuse", () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await startAgent();
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it("answers NOT_FOUND for unknown sandboxes and templates, INVALID_ARGUMENT for malformed ids", async () => {
    const unknown = newSandboxId();
    await expect(agent.sandboxes.destroySandbox({ sandboxId: unknown })).rejects.toMatchObject({ code: Status.NOT_FOUND });
    await expect(agent.sandboxes.destroySandbox({ sandboxId: "sb-nothex" })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
    });
    await expect(agent.sandboxes.createSandbox({ sandboxId: "sandbox-1", templateId: "base", envs: {} })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
    });
    await expect(agent.sandboxes.createSandbox({ sandboxId: newSandboxId(), templateId: "tpl-nope", envs: {} })).rejects.toMatchObject({
      code: Status.NOT_FOUND,
    });
    // Through the relay: unknown id, malformed id, and no id at all.
    await expect(exec(agent, unknown, "true")).rejects.toMatchObject({ code: Status.NOT_FOUND });
    await expect(agent.files.stat({ path: "/" }, forSandbox(unknown))).rejects.toMatchObject({ code: Status.NOT_FOUND });
    await expect(agent.files.stat({ path: "/" }, forSandbox("sb-123"))).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
    await expect(agent.files.stat({ path: "/" }, { metadata: Metadata() })).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
  });

  it("refuses a duplicate id with ALREADY_EXISTS and passes envd's own errors through the relay", async () => {
    const sandboxId = newSandboxId();
    await agent.sandboxes.createSandbox({ sandboxId, templateId: "base", envs: {} });
    try {
      await expect(agent.sandboxes.createSandbox({ sandboxId, templateId: "base", envs: {} })).rejects.toMatchObject({
        code: Status.ALREADY_EXISTS,
      });
      // envd's NOT_FOUND for a missing file reaches the caller unchanged.
      await expect(agent.files.stat({ path: "/no/such/file" }, forSandbox(sandboxId))).rejects.toMatchObject({
        code: Status.NOT_FOUND,
      });
      // Of envd's own service only the port calls are relayed; Init (which would replace the access token) is not.
      const envd = createClient(EnvdServiceDefinition, agent.channel);
      // A listener opened in this sandbox must show up, so the relayed answer is
      // this sandbox's envd and not just any well-formed reply.
      const listen = `require("net").createServer().listen(8123, "127.0.0.1")`;
      await exec(agent, sandboxId, "sh", ["-c", `/usr/bin/node -e '${listen}' >/dev/null 2>&1 &`]);
      await expect
        .poll(async () => (await envd.listPorts({}, forSandbox(sandboxId))).ports, { timeout: 10_000 })
        .toContainEqual(expect.objectContaining({ address: "127.0.0.1", port: 8123 }));
      await expect(
        envd.init({ sandboxId, templateId: "base", hostname: "x", defaultUser: "", envs: {}, nowUnixMs: 0, accessToken: "a".repeat(32) }, forSandbox(sandboxId)),
      ).rejects.toMatchObject({ code: Status.UNIMPLEMENTED });
      await expect(envd.prepareSnapshot({}, forSandbox(sandboxId))).rejects.toMatchObject({ code: Status.UNIMPLEMENTED });
      expect((await exec(agent, sandboxId, "echo", ["still mine"])).stdout).toBe("still mine\n");
    } finally {
      await agent.sandboxes.destroySandbox({ sandboxId });
    }
  });

  it("reports a sandbox whose process was killed from outside as gone, and cleans it up", async () => {
    const sandboxId = newSandboxId();
    await agent.sandboxes.createSandbox({ sandboxId, templateId: "base", envs: {} });
    const pid = await bwrapPidOf(sandboxId);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, "SIGKILL");
    for (let i = 0; i < 100; i++) {
      const { sandboxes } = await agent.sandboxes.listSandboxes({});
      if (!sandboxes.some((s) => s.sandboxId === sandboxId)) break;
      await sleep(50);
    }
    expect((await agent.sandboxes.listSandboxes({})).sandboxes.map((s) => s.sandboxId)).not.toContain(sandboxId);
    for (let i = 0; i < 100 && (await leftoversOf(agent.dataDir, sandboxId)).dir; i++) await sleep(50);
    expect(await leftoversOf(agent.dataDir, sandboxId)).toEqual(nothingLeft);
    await expect(exec(agent, sandboxId, "true")).rejects.toMatchObject({ code: Status.NOT_FOUND });
    await expect(agent.sandboxes.destroySandbox({ sandboxId })).rejects.toMatchObject({ code: Status.NOT_FOUND });
    expect(agent.logs.some((line) => line.includes("exited on its own") && line.includes(sandboxId))).toBe(true);
  });

  it("undoes a create the caller cancels halfway", async () => {
    const sandboxId = newSandboxId();
    const controller = new AbortController();
    const creating = agent.sandboxes.createSandbox({ sandboxId, templateId: "base", envs: {} }, { signal: controller.signal });
    // Cancel once the sandbox directory exists, i.e. in the middle of the create.
    for (let i = 0; i < 200 && !(await leftoversOf(agent.dataDir, sandboxId)).dir; i++) await sleep(5);
    controller.abort();
    await expect(creating).rejects.toThrow();
    for (let i = 0; i < 100 && (await leftoversOf(agent.dataDir, sandboxId)).dir; i++) await sleep(50);
    expect(await leftoversOf(agent.dataDir, sandboxId)).toEqual(nothingLeft);
    expect((await agent.sandboxes.listSandboxes({})).sandboxes).toEqual([]);
  });
});

describe("a create that fails", () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "wrenn-ha-bundle-"));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("leaves nothing behind when the envd bundle path is invalid", async () => {
    const agent = await startAgent({ WRENN_ENVD_BUNDLE: join(scratch, "missing", "envd.mjs") });
    try {
      const sandboxId = newSandboxId();
      await expect(agent.sandboxes.createSandbox({ sandboxId, templateId: "base", envs: {} })).rejects.toMatchObject({
        code: Status.INTERNAL,
        details: expect.stringContaining("failed to start"),
      });
      expect(await leftoversOf(agent.dataDir, sandboxId)).toEqual(nothingLeft);
      expect((await agent.sandboxes.listSandboxes({})).sandboxes).toEqual([]);
    } finally {
      await agent.stop();
    }
  });

  it("times out after start_timeout_seconds with a bundle that never listens, and leaves nothing behind", async () => {
    const bundle = join(scratch, "never-listens.mjs");
    await writeFile(bundle, "setInterval(() => {}, 1000);\n");
    const agent = await startAgent({ WRENN_ENVD_BUNDLE: bundle });
    try {
      const sandboxId = newSandboxId();
      const started = Date.now();
      await expect(
        agent.sandboxes.createSandbox({ sandboxId, templateId: "base", envs: {}, startTimeoutSeconds: 1 }),
      ).rejects.toMatchObject({ code: Status.DEADLINE_EXCEEDED });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(await leftoversOf(agent.dataDir, sandboxId)).toEqual(nothingLeft);
    } finally {
      await agent.stop();
    }
  });
});
