import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { Status } from "nice-grpc";
import { sql } from "slonik";
import { z } from "zod";
import { fromWireId, toWireId } from "@wrenn/shared";
import { SandboxStatus } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { startTestControlPlane, type TestControlPlane } from "../support/test-controlplane.js";
import { addTemplateRow } from "../support/test-templates.js";
import { templateClients } from "./template-clients.js";

warnIfNoDatabase("template tests");

describe.skipIf(!testDatabaseUrl)("templates: platform base rows, resolution, sandboxes from them, delete and snapshot rules (PostgreSQL, fake host agent)", () => {
  let host: FakeHostAgent;
  let cp: TestControlPlane;
  let clients: ReturnType<typeof templateClients>;

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

  it("lists the platform's base templates in three sizes, with the sizes the host reports", async () => {
    const { templates } = await clients.templates.listTemplates({});
    const bases = templates.filter((t) => t.platform && t.name === "base");
    expect(bases.map((t) => [t.tag, t.resources])).toEqual(
      expect.arrayContaining([
        ["latest", { vcpus: 2, memoryMib: 1024, diskMib: 2048 }],
        ["small", { vcpus: 1, memoryMib: 1024, diskMib: 2048 }],
        ["large", { vcpus: 2, memoryMib: 4096, diskMib: 2048 }],
      ]),
    );
    for (const t of bases) {
      expect(t).toMatchObject({ teamId: "", platform: true, buildId: "", parent: "" });
      expect(t.templateId).toMatch(/^tpl-[0-9a-f]{32}$/);
    }
  });

  it("gets a template by name, name:tag and id; anything else is NOT_FOUND with one message", async () => {
    const latest = (await clients.templates.getTemplate({ templateId: "base" })).template!;
    expect(latest).toMatchObject({ name: "base", tag: "latest" });
    expect((await clients.templates.getTemplate({ templateId: "base:latest" })).template).toEqual(latest);
    expect((await clients.templates.getTemplate({ templateId: latest.templateId })).template).toEqual(latest);
    expect((await clients.templates.getTemplate({ templateId: "base:small" })).template).toMatchObject({ tag: "small" });
    for (const ref of ["base:nope", "nope", "Base", "", "tpl-" + "0".repeat(32), "a".repeat(300)]) {
      await expect(clients.templates.getTemplate({ templateId: ref })).rejects.toMatchObject({ code: Status.NOT_FOUND, details: expect.stringMatching(/^template ".*" not found$/) });
    }
  });

  it("starts a sandbox from base:small on the host's base-1x1024 and records the template row; \"base\" still works", async () => {
    const small = (await cp.sandboxes.createSandbox({ templateId: "base:small", metadata: {}, envs: {}, waitReady: true })).sandbox!;
    expect(small).toMatchObject({ status: SandboxStatus.SANDBOX_STATUS_RUNNING, templateId: "base:small" });
    expect(host.sandboxes.get(small.sandboxId)?.templateId).toBe("base-1x1024");
    const plain = (await cp.sandboxes.createSandbox({ templateId: "base", metadata: {}, envs: {}, waitReady: true })).sandbox!;
    expect(host.sandboxes.get(plain.sandboxId)?.templateId).toBe("base");
    const smallRow = (await clients.templates.getTemplate({ templateId: "base:small" })).template!;
    const stored = await cp.running.context.pool.oneFirst(sql.type(z.object({ template_uuid: z.string().nullable() }))`
      SELECT template_uuid FROM sandboxes WHERE id = ${fromWireId("sb", small.sandboxId)}::uuid`);
    expect(stored).toBe(fromWireId("tpl", smallRow.templateId));
  });

  it("refuses a platform template's delete to a team's key (PERMISSION_DENIED)", async () => {
    await expect(clients.templates.deleteTemplate({ templateId: "base:large" })).rejects.toMatchObject({
      code: Status.PERMISSION_DENIED,
      details: "platform templates can be deleted by platform admins only",
    });
    expect((await clients.templates.getTemplate({ templateId: "base:large" })).template).toBeDefined();
  });

  it("refuses to delete a team template while a sandbox uses it, saying how many; deletes it (and the host's files) after", async () => {
    const name = `app-${randomUUID().slice(0, 8)}`;
    const hostTemplateId = toWireId("tpl", randomUUID());
    host.templates.set(hostTemplateId, { ...host.templates.get("base")!, templateId: hostTemplateId });
    const row = await addTemplateRow(cp.running.context.pool, { name, tag: "v1", hostTemplateId, teamId: cp.teamId, hostId: await hostUuid() });
    const { sandbox } = await cp.sandboxes.createSandbox({ templateId: `${name}:v1`, metadata: {}, envs: {}, waitReady: true });
    expect(host.sandboxes.get(sandbox!.sandboxId)?.templateId).toBe(hostTemplateId);
    await expect(clients.templates.deleteTemplate({ templateId: `${name}:v1` })).rejects.toMatchObject({
      code: Status.FAILED_PRECONDITION,
      details: `template ${name}:v1 is used by 1 sandbox that is not stopped; destroy it first`,
    });
    await cp.sandboxes.destroySandbox({ sandboxId: sandbox!.sandboxId, wait: true });
    await clients.templates.deleteTemplate({ templateId: toWireId("tpl", row.id) });
    expect(host.templates.has(hostTemplateId)).toBe(false);
    await expect(clients.templates.getTemplate({ templateId: `${name}:v1` })).rejects.toMatchObject({ code: Status.NOT_FOUND });
    await expect(clients.templates.deleteTemplate({ templateId: `${name}:v1` })).rejects.toMatchObject({ code: Status.NOT_FOUND });
  });

  it("a newer template of the same name and tag takes the name; the older stays reachable by id", async () => {
    const name = `dup-${randomUUID().slice(0, 8)}`;
    const older = await addTemplateRow(cp.running.context.pool, { name, hostTemplateId: "base", teamId: cp.teamId });
    const newer = await addTemplateRow(cp.running.context.pool, { name, hostTemplateId: "base-2x4096", teamId: cp.teamId });
    expect((await clients.templates.getTemplate({ templateId: name })).template?.templateId).toBe(toWireId("tpl", newer.id));
    expect((await clients.templates.getTemplate({ templateId: toWireId("tpl", older.id) })).template?.templateId).toBe(toWireId("tpl", older.id));
    const listed = (await clients.templates.listTemplates({})).templates.filter((t) => t.name === name);
    expect(listed.map((t) => t.templateId)).toEqual([toWireId("tpl", newer.id)]);
  });

  it("a snapshot on a host whose runtime cannot make templates is FAILED_PRECONDITION with the host's reason; no template row remains", async () => {
    const { sandbox } = await cp.sandboxes.createSandbox({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    const before = (await clients.templates.listTemplates({})).templates.length;
    await expect(clients.templates.snapshotSandbox({ sandboxId: sandbox!.sandboxId, name: "snap", pauseSource: false })).rejects.toMatchObject({
      code: Status.FAILED_PRECONDITION,
      details: "the namespace runtime cannot make templates: no memory snapshots",
    });
    expect((await clients.templates.listTemplates({})).templates.length).toBe(before);
    await expect(clients.templates.snapshotSandbox({ sandboxId: sandbox!.sandboxId, name: "Bad Name", pauseSource: false })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
      details: expect.stringMatching(/^name must be "name" or "name:tag"/),
    });
  });

  it("snapshots a running sandbox as a team template that new sandboxes start from (host that can snapshot)", async () => {
    host.runtime = "qemu";
    try {
      const { sandbox } = await cp.sandboxes.createSandbox({ templateId: "base:small", metadata: {}, envs: {}, waitReady: true });
      const name = `snap-${randomUUID().slice(0, 8)}`;
      const { template, source } = await clients.templates.snapshotSandbox({ sandboxId: sandbox!.sandboxId, name: `${name}:one`, pauseSource: false });
      expect(template).toMatchObject({ name, tag: "one", teamId: toWireId("team", cp.teamId), platform: false, sourceSandboxId: sandbox!.sandboxId, parent: "base:small", diskBytes: 4096 });
      expect(source).toMatchObject({ sandboxId: sandbox!.sandboxId, status: SandboxStatus.SANDBOX_STATUS_RUNNING });
      expect(host.templates.has(template!.templateId)).toBe(true);
      const { sandbox: child } = await cp.sandboxes.createSandbox({ templateId: `${name}:one`, metadata: {}, envs: {}, waitReady: true });
      expect(host.sandboxes.get(child!.sandboxId)?.templateId).toBe(template!.templateId);
      // Another team neither sees nor uses it.
      const other = await cp.newTeam();
      await expect(other.sandboxes.createSandbox({ templateId: `${name}:one`, metadata: {}, envs: {}, waitReady: false })).rejects.toMatchObject({ code: Status.NOT_FOUND });
    } finally {
      host.runtime = "fake";
    }
  });

  async function hostUuid(): Promise<string> {
    return cp.running.context.hosts.onlineHostIds()[0]!;
  }
});
