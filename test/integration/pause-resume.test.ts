import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdir, readFile } from "node:fs/promises";
import { ClientError, Status } from "nice-grpc";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { keyHeaders } from "../harness/api-key.js";

let stack: Stack;
let client: WrennClient;

beforeAll(async () => {
  stack = await startStack();
  client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
});

afterAll(async () => {
  client?.close();
  await stack?.close();
});

async function grpcError(promise: Promise<unknown>): Promise<ClientError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected a gRPC error").toBeInstanceOf(ClientError);
  return err as ClientError;
}

/** The bwrap process holding a namespace sandbox: the host agent passes `--hostname <sandbox id>`. */
async function bwrapPidOf(sandboxId: string): Promise<number | undefined> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (args[0]?.endsWith("bwrap") && args[args.indexOf("--hostname") + 1] === sandboxId) return Number(entry);
  }
  return undefined;
}

async function statusOf(id: string): Promise<SandboxStatus> {
  return (await client.sandboxes.getSandbox({ sandboxId: id })).sandbox!.status;
}

async function counter(id: string): Promise<number> {
  return Number((await client.run(id, "cat", ["/tmp/counter"])).stdout.trim());
}

async function json(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.httpUrl}${path}`, {
    method,
    headers: keyHeaders(stack, body === undefined ? {} : { "content-type": "application/json" }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe("pause and resume through the public gRPC API", () => {
  it("pause refuses exec; resume keeps the files written before pause and a running counter continues", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ waitReady: true });
    const id = sandbox!.sandboxId;
    await client.filesystem.writeFile(
      (async function* () {
        yield { sandboxId: id, path: "/tmp/before-pause.txt", data: Buffer.from("still here\n") };
      })(),
    );
    await client.run(id, "sh", ["-c", "nohup setsid sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/counter.next; mv /tmp/counter.next /tmp/counter; sleep 0.2; done' >/dev/null 2>&1 &"]);
    await expect.poll(() => counter(id), { timeout: 20_000, interval: 100, message: "the counter" }).toBeGreaterThanOrEqual(3);
    const beforePause = await counter(id);

    const pausing = await client.sandboxes.pauseSandbox({ sandboxId: id });
    expect([SandboxStatus.SANDBOX_STATUS_PAUSING, SandboxStatus.SANDBOX_STATUS_PAUSED]).toContain(pausing.sandbox!.status);
    await expect.poll(() => statusOf(id), { timeout: 60_000, interval: 100, message: "the sandbox's status" }).toBe(SandboxStatus.SANDBOX_STATUS_PAUSED);

    const refused = await grpcError(client.run(id, "echo", ["hi"]));
    expect(Status[refused.code]).toBe("FAILED_PRECONDITION");
    expect(refused.details).toBe("sandbox is paused; resume it first");
    const readRefused = await grpcError(client.filesystem.statFile({ sandboxId: id, path: "/tmp/before-pause.txt" }));
    expect(Status[readRefused.code]).toBe("FAILED_PRECONDITION");
    // Pausing again is harmless; the sandbox stays paused.
    expect((await client.sandboxes.pauseSandbox({ sandboxId: id })).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_PAUSED);

    const resumed = await client.sandboxes.resumeSandbox({ sandboxId: id, wait: true });
    expect(resumed.sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    expect((await client.run(id, "cat", ["/tmp/before-pause.txt"])).stdout).toBe("still here\n");
    const afterResume = await counter(id);
    expect(afterResume).toBeGreaterThanOrEqual(beforePause);
    await expect.poll(() => counter(id), { timeout: 20_000, interval: 100, message: "the counter after the resume" }).toBeGreaterThan(afterResume + 2);

    const metrics = await client.sandboxes.getSandboxMetrics({ sandboxId: id });
    expect(metrics.memoryBytes).toBeGreaterThan(0);

    await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
    const wrongState = await grpcError(client.sandboxes.pauseSandbox({ sandboxId: id }));
    expect(Status[wrongState.code]).toBe("FAILED_PRECONDITION");
    expect(wrongState.details).toBe("sandbox is stopped");
  });

  it("refuses to pause a sandbox in error, naming its state; resuming a running one returns it as it is", async () => {
    // An unknown template is NOT_FOUND at create time now; a sandbox whose process is killed from outside is in error.
    const failed = await client.sandboxes.createSandbox({ waitReady: true });
    process.kill((await bwrapPidOf(failed.sandbox!.sandboxId))!, "SIGKILL");
    await expect
      .poll(() => statusOf(failed.sandbox!.sandboxId), { timeout: 60_000, interval: 100, message: "the killed sandbox's status" })
      .toBe(SandboxStatus.SANDBOX_STATUS_ERROR);
    const err = await grpcError(client.sandboxes.pauseSandbox({ sandboxId: failed.sandbox!.sandboxId }));
    expect(Status[err.code]).toBe("FAILED_PRECONDITION");
    expect(err.details).toBe("sandbox is error; only a running sandbox can be paused");

    const { sandbox } = await client.sandboxes.createSandbox({ waitReady: true });
    const resumed = await client.sandboxes.resumeSandbox({ sandboxId: sandbox!.sandboxId });
    expect(resumed.sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    await client.sandboxes.destroySandbox({ sandboxId: sandbox!.sandboxId, wait: true });
  });
});

describe("pause, resume, timeout and metrics over HTTP", () => {
  it("answers 202 to pause, 200 to a waited resume, sets a timeout and reports metrics", async () => {
    const created = await json("POST", "/v1/sandboxes", { waitReady: true });
    expect(created.status).toBe(200);
    const id: string = created.body.sandbox.sandboxId;

    const paused = await json("POST", `/v1/sandboxes/${id}/pause`, {});
    expect(paused.status).toBe(202);
    expect(paused.body.sandbox.status).toBe("SANDBOX_STATUS_PAUSING");
    await expect
      .poll(async () => (await json("GET", `/v1/sandboxes/${id}`)).body.sandbox.status, { timeout: 60_000, interval: 100, message: "the sandbox's status over HTTP" })
      .toBe("SANDBOX_STATUS_PAUSED");
    const exec = await fetch(`${stack.httpUrl}/v1/sandboxes/${id}/processes`, {
      method: "POST",
      headers: keyHeaders(stack, { "content-type": "application/json" }),
      body: JSON.stringify({ process: { cmd: "true" } }),
    });
    expect(exec.status).toBe(400);

    const resumed = await json("POST", `/v1/sandboxes/${id}/resume`, { wait: true });
    expect(resumed.status).toBe(200);
    expect(resumed.body.sandbox.status).toBe("SANDBOX_STATUS_RUNNING");

    const timeout = await json("POST", `/v1/sandboxes/${id}/timeout`, { timeoutSeconds: 600 });
    expect(timeout.status).toBe(200);
    const expiresIn = Date.parse(timeout.body.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(500_000);
    expect(expiresIn).toBeLessThan(700_000);

    const metrics = await json("GET", `/v1/sandboxes/${id}/metrics`);
    expect(metrics.status).toBe(200);
    expect(Number(metrics.body.memoryBytes)).toBeGreaterThan(0);

    expect((await json("DELETE", `/v1/sandboxes/${id}`)).status).toBe(202);
  });

  it("refuses a bad egress policy with 400 naming the entry", async () => {
    const bad = await json("POST", "/v1/sandboxes", {
      egress: { mode: "MODE_ALLOW_LIST", allowedCidrs: ["198.51.100.0/24", "10.1.2.3/8"] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("INVALID_ARGUMENT");
    expect(bad.body.message).toBe('egress.allowed_cidrs[1] "10.1.2.3/8" has host bits set (did you mean 10.0.0.0/8?)');
    const notCidr = await json("POST", "/v1/sandboxes", { egress: { mode: "MODE_ALLOW_LIST", allowedCidrs: ["example.com"] } });
    expect(notCidr.status).toBe(400);
    expect(notCidr.body.message).toMatch(/^egress.allowed_cidrs\[0\] "example.com"/);
    // A valid policy is accepted and the sandbox starts.
    const ok = await json("POST", "/v1/sandboxes", { waitReady: true, egress: { mode: "MODE_DENY_ALL" } });
    expect(ok.status).toBe(200);
    expect(ok.body.sandbox.status).toBe("SANDBOX_STATUS_RUNNING");
    await json("DELETE", `/v1/sandboxes/${ok.body.sandbox.sandboxId}`);
  });
});
