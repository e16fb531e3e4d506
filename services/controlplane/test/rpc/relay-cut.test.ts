import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, Status } from "nice-grpc";
import { SandboxStatus } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { startTestControlPlane, type TestControlPlane } from "../support/test-controlplane.js";

warnIfNoDatabase("relayed calls cut by a destroy");

describe.skipIf(!testDatabaseUrl)("a relayed call cut by a destroy", () => {
  let host: FakeHostAgent;
  let cp: TestControlPlane;

  beforeAll(async () => {
    host = await startFakeHostAgent();
    cp = await startTestControlPlane({ hostAgentUrl: host.address });
  });
  afterAll(async () => {
    await cp?.close();
    await host?.close();
  });

  /** Reads a process's events until the stream ends; `onFirst` runs once the process started. */
  async function outcomeOf(sandboxId: string, onFirst: () => Promise<unknown>): Promise<unknown> {
    const stream = cp.processes.startProcess({ sandboxId, start: { process: { cmd: "forever", args: [], envs: {} } } });
    let first = true;
    try {
      for await (const _event of stream) {
        if (first) await onFirst();
        first = false;
      }
    } catch (err) {
      return err;
    }
    return "ended";
  }

  it("answers FAILED_PRECONDITION \"sandbox is stopped\", not the host's UNAVAILABLE", async () => {
    const { sandbox } = await cp.sandboxes.createSandbox({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    expect(sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    const id = sandbox!.sandboxId;

    const outcome = await outcomeOf(id, () => cp.sandboxes.destroySandbox({ sandboxId: id, wait: true }));

    expect(outcome).toBeInstanceOf(ClientError);
    expect({ code: (outcome as ClientError).code, details: (outcome as ClientError).details }).toEqual({
      code: Status.FAILED_PRECONDITION,
      details: "sandbox is stopped",
    });
    // A new call on the sandbox gets the same answer.
    const again = await outcomeOf(id, async () => undefined);
    expect((again as ClientError).details).toBe("sandbox is stopped");
  });

  it("answers the same while the destroy is still under way", async () => {
    const { sandbox } = await cp.sandboxes.createSandbox({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    const id = sandbox!.sandboxId;

    const outcome = await outcomeOf(id, () => cp.sandboxes.destroySandbox({ sandboxId: id, wait: false }));

    expect(outcome).toBeInstanceOf(ClientError);
    expect((outcome as ClientError).code).toBe(Status.FAILED_PRECONDITION);
    expect((outcome as ClientError).details).toBe("sandbox is stopped");
  });
});
