import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { keyHeaders } from "../harness/api-key.js";
import { qemuStackOptions, templateApi, type TemplateApi } from "../harness/template-builds.js";

// A running sandbox made into a template through the public API: its files,
// memory and running processes go into the template; new sandboxes start
// with them; the source keeps running (or stays paused when asked).
let stack: Stack;
let client: WrennClient;
let api: TemplateApi;

beforeAll(async () => {
  stack = await startStack(qemuStackOptions("wts", "10.241.0.0/16"));
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

async function counter(id: string): Promise<number> {
  return Number((await client.run(id, "cat", ["/tmp/counter"])).stdout.trim());
}

/** A sandbox with a file in the home directory and a counter loop running in the background. */
async function sandboxWithWork(): Promise<string> {
  const { sandbox } = await client.sandboxes.createSandbox({ waitReady: true });
  const id = sandbox!.sandboxId;
  await client.filesystem.writeFile(
    (async function* () {
      yield { sandboxId: id, path: "/home/wrenn-user/kept.txt", data: Buffer.from("made before the snapshot\n") };
    })(),
  );
  await client.run(id, "sh", ["-c", "nohup setsid sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/counter.next; mv /tmp/counter.next /tmp/counter; sleep 0.2; done' >/dev/null 2>&1 &"]);
  await expect.poll(() => counter(id), { timeout: 30_000, interval: 200, message: "the counter" }).toBeGreaterThanOrEqual(3);
  return id;
}

async function statusOf(id: string): Promise<SandboxStatus> {
  return (await client.sandboxes.getSandbox({ sandboxId: id })).sandbox!.status;
}

describe("snapshotting a running sandbox as a template", () => {
  it("new sandboxes from it have its file and its running process; the source keeps running", async () => {
    const source = await sandboxWithWork();
    const { template, source: after } = await api.templates.snapshotSandbox({ sandboxId: source, name: "counter-app", pauseSource: false });
    expect(template).toMatchObject({ name: "counter-app", tag: "latest", sourceSandboxId: source, platform: false, buildId: "" });
    expect(template!.templateId).toMatch(/^tpl-[0-9a-f]{32}$/);
    expect(template!.diskBytes).toBeGreaterThan(0);
    expect(after?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);

    // The source goes on: same file, counter still counting.
    const sourceCount = await counter(source);
    await expect.poll(() => counter(source), { timeout: 20_000, interval: 200, message: "the source's counter" }).toBeGreaterThan(sourceCount + 2);

    // Two sandboxes from the template, each with the file and the loop already running.
    for (let i = 0; i < 2; i++) {
      const { sandbox } = await client.sandboxes.createSandbox({ templateId: "counter-app", waitReady: true });
      const id = sandbox!.sandboxId;
      expect(sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
      expect((await client.run(id, "cat", ["/home/wrenn-user/kept.txt"])).stdout).toBe("made before the snapshot\n");
      const loops = await client.run(id, "sh", ["-c", "ps -eo args | grep -c '^sh -c i=0; while true'"]);
      expect(loops.stdout.trim()).toBe("1");
      const start = await counter(id);
      expect(start).toBeGreaterThanOrEqual(3);
      await expect.poll(() => counter(id), { timeout: 20_000, interval: 200, message: "the copy's counter" }).toBeGreaterThan(start + 2);
      // Its own machine: the hostname is its own id.
      expect((await client.run(id, "hostname")).stdout.trim()).toBe(id);
      await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
    }
    const { templates } = await api.templates.listTemplates({});
    expect(templates.find((t) => t.name === "counter-app")?.templateId).toBe(template!.templateId);
    await client.sandboxes.destroySandbox({ sandboxId: source, wait: true });
  });

  it("over HTTP with pauseSource, the source is left paused, and a sandbox from the template runs", async () => {
    const source = await sandboxWithWork();
    const res = await fetch(`${stack.httpUrl}/v1/sandboxes/${source}/snapshot`, {
      method: "POST",
      headers: keyHeaders(stack, { "content-type": "application/json" }),
      body: JSON.stringify({ name: "paused-app:v2", pauseSource: true }),
    });
    const body = (await res.json()) as { template?: { templateId?: string; name?: string; tag?: string }; source?: { status?: string } };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.template).toMatchObject({ name: "paused-app", tag: "v2" });
    expect(body.source?.status).toBe("SANDBOX_STATUS_PAUSED");
    expect(await statusOf(source)).toBe(SandboxStatus.SANDBOX_STATUS_PAUSED);

    const { sandbox } = await client.sandboxes.createSandbox({ templateId: "paused-app:v2", waitReady: true });
    expect((await client.run(sandbox!.sandboxId, "cat", ["/home/wrenn-user/kept.txt"])).stdout).toBe("made before the snapshot\n");
    const start = await counter(sandbox!.sandboxId);
    await expect.poll(() => counter(sandbox!.sandboxId), { timeout: 20_000, interval: 200, message: "the copy's counter" }).toBeGreaterThan(start + 2);
    // Still paused: the copy does not wake its source.
    expect(await statusOf(source)).toBe(SandboxStatus.SANDBOX_STATUS_PAUSED);
    await client.sandboxes.destroySandbox({ sandboxId: sandbox!.sandboxId, wait: true });
    await client.sandboxes.destroySandbox({ sandboxId: source, wait: true });
  });
});
