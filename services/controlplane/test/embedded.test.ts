import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rm } from "node:fs/promises";
import { SandboxStatus } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { startFakeHostAgent, type FakeHostAgent } from "./support/fake-host-agent.js";
import { startTestControlPlane, type TestControlPlane } from "./support/test-controlplane.js";

/** No DATABASE_URL and no REDIS_URL: PGlite over a loopback socket and the in-process bus. */
describe("embedded mode (PGlite, in-process events)", () => {
  let host: FakeHostAgent;
  let cp: TestControlPlane;

  beforeAll(async () => {
    host = await startFakeHostAgent();
    cp = await startTestControlPlane({ hostAgentUrl: host.address, databaseUrl: undefined, redisUrl: undefined });
  }, 120_000);
  afterAll(async () => {
    const dataDir = cp?.running.context.config.dataDir;
    await cp?.close();
    await host?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("starts, migrates and creates then reads a sandbox", async () => {
    expect(cp.logs.join("")).toContain('"database":"embedded"');
    const { sandbox } = await cp.sandboxes.createSandbox({ templateId: "base", metadata: { via: "pglite" }, envs: {}, waitReady: true });
    expect(sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    const { sandbox: read } = await cp.sandboxes.getSandbox({ sandboxId: sandbox!.sandboxId });
    expect(read).toMatchObject({ sandboxId: sandbox!.sandboxId, metadata: { via: "pglite" }, status: SandboxStatus.SANDBOX_STATUS_RUNNING });
    const { sandboxes } = await cp.sandboxes.listSandboxes({});
    expect(sandboxes.map((s) => s.sandboxId)).toEqual([sandbox!.sandboxId]);
    const { sandbox: stopped } = await cp.sandboxes.destroySandbox({ sandboxId: sandbox!.sandboxId, wait: true });
    expect(stopped!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
  });
});
