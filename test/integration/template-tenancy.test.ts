import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, Status } from "nice-grpc";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import type { Template } from "@wrenn/gen/wrenn/api/v1/template.js";
import { signUpTeamWithKey } from "../harness/signed-up-team.js";
import { createBuild, qemuStackOptions, templateApi, type TemplateApi } from "../harness/template-builds.js";

// Templates between teams: a team's template is its own (another team gets
// NOT_FOUND, the same answer as for a template that does not exist), the
// platform's are everyone's, in the sizes the platform ships.
let stack: Stack;
let owner: { client: WrennClient; api: TemplateApi };
let other: { client: WrennClient; api: TemplateApi };
let mine: Template;
let source: string;

beforeAll(async () => {
  stack = await startStack(qemuStackOptions("wtt", "10.242.0.0/16"));
  owner = { client: createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey }), api: templateApi(stack.grpcAddress, stack.apiKey) };
  const team = await signUpTeamWithKey(stack.httpUrl, "other-team");
  other = { client: createWrennClient(stack.grpcAddress, { apiKey: team.apiKey }), api: templateApi(stack.grpcAddress, team.apiKey) };
  // The owner's template: a snapshot of one of its sandboxes (no build needed).
  const { sandbox } = await owner.client.sandboxes.createSandbox({ waitReady: true });
  source = sandbox!.sandboxId;
  mine = (await owner.api.templates.snapshotSandbox({ sandboxId: source, name: "private-app:v1", pauseSource: false })).template!;
}, 20 * 60_000);

afterAll(async () => {
  for (const side of [owner, other]) {
    if (!side) continue;
    const { sandboxes } = (await side.client.sandboxes.listSandboxes({}).catch(() => undefined)) ?? { sandboxes: [] };
    for (const s of sandboxes) {
      if (s.status !== SandboxStatus.SANDBOX_STATUS_STOPPED) await side.client.sandboxes.destroySandbox({ sandboxId: s.sandboxId, wait: true }).catch(() => undefined);
    }
    side.api.close();
    side.client.close();
  }
  await stack?.close();
}, 5 * 60_000);

async function grpcError(promise: Promise<unknown>): Promise<ClientError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected a gRPC error").toBeInstanceOf(ClientError);
  return err as ClientError;
}

/** The error another team gets, next to the one for a template that does not exist: the same code and wording. */
async function expectNotFoundLikeMissing(call: (ref: string) => Promise<unknown>, ref: string, missingRef: string): Promise<void> {
  const refused = await grpcError(call(ref));
  const missing = await grpcError(call(missingRef));
  expect(Status[refused.code]).toBe("NOT_FOUND");
  expect(Status[missing.code]).toBe("NOT_FOUND");
  expect(refused.details.replace(ref, "REF")).toBe(missing.details.replace(missingRef, "REF"));
}

describe("another team's template", () => {
  it("is not listed, and get by id or name is NOT_FOUND, worded as for one that does not exist", async () => {
    const { templates } = await other.api.templates.listTemplates({});
    expect(templates.map((t) => t.templateId)).not.toContain(mine.templateId);
    expect(templates.some((t) => t.name === "private-app")).toBe(false);
    await expectNotFoundLikeMissing((ref) => other.api.templates.getTemplate({ templateId: ref }), mine.templateId, `tpl-${"0".repeat(32)}`);
    await expectNotFoundLikeMissing((ref) => other.api.templates.getTemplate({ templateId: ref }), "private-app:v1", "no-such-app:v1");
    // The owner sees it.
    expect((await owner.api.templates.getTemplate({ templateId: "private-app:v1" })).template?.templateId).toBe(mine.templateId);
  });

  it("cannot be used: a sandbox from it, a recipe FROM it and deleting it are NOT_FOUND", async () => {
    await expectNotFoundLikeMissing((ref) => other.client.sandboxes.createSandbox({ templateId: ref, waitReady: true }), mine.templateId, `tpl-${"0".repeat(32)}`);
    await expectNotFoundLikeMissing((ref) => other.client.sandboxes.createSandbox({ templateId: ref, waitReady: true }), "private-app:v1", "no-such-app:v1");
    await expectNotFoundLikeMissing((ref) => createBuild(other.api, { name: "stolen", recipe: `FROM ${ref}\nRUN true\n` }), mine.templateId, `tpl-${"0".repeat(32)}`);
    await expectNotFoundLikeMissing((ref) => other.api.templates.deleteTemplate({ templateId: ref }), mine.templateId, `tpl-${"0".repeat(32)}`);
    // Nor can it snapshot the owner's sandbox into a template of its own.
    expect(Status[(await grpcError(other.api.templates.snapshotSandbox({ sandboxId: source, name: "stolen", pauseSource: false }))).code]).toBe("NOT_FOUND");
    expect((await other.client.sandboxes.listSandboxes({})).sandboxes).toEqual([]);
    expect((await other.api.builds.listBuilds({})).builds).toEqual([]);
    // Still there for its owner.
    expect((await owner.api.templates.getTemplate({ templateId: mine.templateId })).template?.name).toBe("private-app");
  });
});

describe("platform templates", () => {
  it("base, base:small and base:large are listed for every team, with their sizes", async () => {
    for (const side of [owner, other]) {
      const { templates } = await side.api.templates.listTemplates({});
      const platform = Object.fromEntries(templates.filter((t) => t.platform).map((t) => [`${t.name}:${t.tag}`, t]));
      expect(Object.keys(platform).sort()).toEqual(expect.arrayContaining(["base:large", "base:latest", "base:small"]));
      expect(platform["base:small"].resources).toMatchObject({ vcpus: 1, memoryMib: 1024 });
      expect(platform["base:large"].resources).toMatchObject({ vcpus: 2, memoryMib: 4096 });
      expect(platform["base:latest"].teamId).toBe("");
    }
    // The other team's list has no template of the owner's team.
    expect((await other.api.templates.listTemplates({})).templates.every((t) => t.platform)).toBe(true);
  });

  it("a sandbox from base:small has 1 vCPU and 1024 MiB, inside the guest too", async () => {
    const { sandbox } = await other.client.sandboxes.createSandbox({ templateId: "base:small", waitReady: true });
    expect(sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    expect(sandbox?.resources).toMatchObject({ vcpus: 1, memoryMib: 1024 });
    const id = sandbox!.sandboxId;
    expect((await other.client.run(id, "nproc")).stdout.trim()).toBe("1");
    const memKiB = Number(/MemTotal:\s+(\d+)/.exec((await other.client.run(id, "cat", ["/proc/meminfo"])).stdout)?.[1]);
    // The kernel keeps some for itself: between 900 MiB and 1 GiB.
    expect(memKiB / 1024).toBeGreaterThan(900);
    expect(memKiB / 1024).toBeLessThanOrEqual(1024);
    await other.client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
  });

  it("another team cannot delete a platform template", async () => {
    const err = await grpcError(other.api.templates.deleteTemplate({ templateId: "base:small" }));
    expect(Status[err.code]).toBe("PERMISSION_DENIED");
    expect((await other.api.templates.getTemplate({ templateId: "base:small" })).template?.platform).toBe(true);
  });
});

describe("deleting a template", () => {
  it("is refused while a sandbox uses it, saying how many, then works once none does", async () => {
    const { sandbox } = await owner.client.sandboxes.createSandbox({ templateId: "private-app:v1", waitReady: true });
    const refused = await grpcError(owner.api.templates.deleteTemplate({ templateId: mine.templateId }));
    expect(Status[refused.code]).toBe("FAILED_PRECONDITION");
    expect(refused.details).toContain("used by 1 sandbox");
    await owner.client.sandboxes.destroySandbox({ sandboxId: sandbox!.sandboxId, wait: true });

    await owner.api.templates.deleteTemplate({ templateId: "private-app:v1" });
    expect(Status[(await grpcError(owner.api.templates.getTemplate({ templateId: mine.templateId }))).code]).toBe("NOT_FOUND");
    expect(Status[(await grpcError(owner.client.sandboxes.createSandbox({ templateId: "private-app:v1", waitReady: true }))).code]).toBe("NOT_FOUND");
    // The sandbox it was snapshotted from is unaffected.
    expect(SandboxStatus[(await owner.client.sandboxes.getSandbox({ sandboxId: source })).sandbox!.status]).toBe("SANDBOX_STATUS_RUNNING");
    expect((await owner.client.run(source, "echo", ["still here"])).stdout).toBe("still here\n");
  });
});
