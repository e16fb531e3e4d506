import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { recordStatuses, statusNames, type StatusRecorder } from "../harness/sandbox-watch.js";

// A restart loses nothing: a running sandbox with a background counter and a
// file in tmpfs, and a paused sandbox, through kill -9 of the host agent,
// kill -9 of the controlplane and a clean restart of the whole platform. The
// counter keeps counting (the same process, never restarted), the file's
// sha256 is unchanged, and the sandboxes are RUNNING and PAUSED throughout:
// never MISSING or ERROR, even for a moment (a 200 ms poll runs all along,
// with the reconciler on a 1 s round so a wrong verdict would show).
const qemuInstalled = (process.env.PATH ?? "").split(":").some((dir) => existsSync(join(dir, "qemu-system-x86_64")));
const runtimes = (process.env.WRENN_TEST_RUNTIMES ?? (qemuInstalled ? "namespace,qemu" : "namespace")).split(",");

/** Rewrites /tmp/c with the next number 5 times a second; the file is replaced atomically, never seen empty. */
const counterScript = "i=0; while true; do i=$((i+1)); echo $i > /tmp/c.tmp && mv /tmp/c.tmp /tmp/c; sleep 0.2; done";
/** 4 MiB of random bytes in tmpfs (memory only: it survives only if the sandbox itself does). */
const tmpfsScript = "head -c 4194304 /dev/urandom > /dev/shm/blob && sha256sum /dev/shm/blob | cut -d' ' -f1";

describe.each(runtimes)("a restart loses nothing (%s runtime)", (runtime) => {
  let stack: Stack;
  let client: WrennClient;
  let running: string;
  let paused: string;
  let blobSha: string;
  let pausedBlobSha: string;
  let pausedCounter: { value: number; pids: number[] };
  let recorder: StatusRecorder;
  const previousInterval = process.env.WRENN_RECONCILE_INTERVAL_MS;

  beforeAll(async () => {
    process.env.WRENN_RECONCILE_INTERVAL_MS = "1000";
    stack = await startStack({
      runtime: runtime as "namespace" | "qemu",
      // Restarts keep the sandboxes; the stack's close still destroys them (a temporary data dir).
      sandboxesOnStop: "keep",
      ...(runtime === "qemu"
        ? { sandboxNetwork: "netns" as const, hostagentEnv: { WRENN_NETWORK_PREFIX: "wrt", WRENN_NETWORK_POOL: "10.251.0.0/16" }, hostagentStartTimeoutMs: 15 * 60_000 }
        : {}),
    });
    client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
    running = await createWithCounter();
    paused = await createWithCounter();
    blobSha = (await exec(running, tmpfsScript)).trim();
    expect(blobSha).toMatch(/^[0-9a-f]{64}$/);
    pausedBlobSha = (await exec(paused, tmpfsScript)).trim();
    pausedCounter = { value: Number((await exec(paused, "cat /tmp/c")).trim()), pids: await counterProcesses(paused) };
    const pause = await client.sandboxes.pauseSandbox({ sandboxId: paused, wait: true });
    expect(pause.sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_PAUSED);
    recorder = recordStatuses(() => client, [running, paused]);
  }, 20 * 60_000);

  afterAll(async () => {
    if (previousInterval === undefined) delete process.env.WRENN_RECONCILE_INTERVAL_MS;
    else process.env.WRENN_RECONCILE_INTERVAL_MS = previousInterval;
    await recorder?.stop();
    for (const id of [running, paused]) if (id) await client.sandboxes.destroySandbox({ sandboxId: id, wait: true }).catch(() => undefined);
    client?.close();
    await stack?.close();
  }, 5 * 60_000);

  async function exec(sandboxId: string, script: string): Promise<string> {
    const result = await client.run(sandboxId, "sh", ["-c", script]);
    expect(result.exitCode, result.stderr).toBe(0);
    return result.stdout;
  }

  async function createWithCounter(): Promise<string> {
    const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
    expect(sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    const leave = new AbortController();
    try {
      const events = client.processes.startProcess(
        { sandboxId: sandbox!.sandboxId, start: { process: { cmd: "sh", args: ["-c", counterScript], envs: {} }, tag: "counter", background: true, timeoutMs: 0 } },
        { signal: leave.signal },
      );
      for await (const { event } of events) if (event?.start) break;
    } finally {
      leave.abort();
    }
    await counterAbove(sandbox!.sandboxId, 0);
    return sandbox!.sandboxId;
  }

  /** The counter's value once it is above `floor`: it counted on after that point. */
  function counterAbove(sandboxId: string, floor: number): Promise<number> {
    return vi.waitFor(
      async () => {
        const value = Number((await client.run(sandboxId, "cat", ["/tmp/c"])).stdout.trim());
        if (value > floor) return value;
        throw new Error(`the counter in ${sandboxId} is at ${value}, waiting for it to pass ${floor}`);
      },
      { timeout: 120_000, interval: 100 },
    );
  }

  /** The background counter is still the process started at the beginning, listed under its tag. */
  async function counterProcesses(sandboxId: string): Promise<number[]> {
    const { processes } = await client.processes.listProcesses({ sandboxId });
    return processes.filter((p) => p.tag === "counter").map((p) => p.pid);
  }

  /** After a restart: a fresh client (the old channel would back off), and the API answering again. */
  async function reconnect(): Promise<void> {
    client.close();
    client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
    await vi.waitFor(
      () =>
        client.sandboxes.getSandbox({ sandboxId: running }).catch((err: unknown) => {
          throw new Error(`waiting for the controlplane to answer GetSandbox: ${String(err)}`);
        }),
      { timeout: 120_000, interval: 100 },
    );
  }

  async function survives(what: () => Promise<void>): Promise<void> {
    const before = Number((await exec(running, "cat /tmp/c")).trim());
    const pids = await counterProcesses(running);
    expect(pids).toHaveLength(1);
    const samples = recorder.samples;
    await what();
    await reconnect();
    // Counting on from where it was: the same sandbox, not a fresh one.
    const after = await counterAbove(running, before);
    expect(after).toBeGreaterThan(before);
    expect(await counterProcesses(running)).toEqual(pids);
    expect((await exec(running, "sha256sum /dev/shm/blob | cut -d' ' -f1")).trim()).toBe(blobSha);
    // Several reconciler rounds (1 s each) against the restarted service, under the poll.
    await counterAbove(running, after + 15);
    expect((await client.sandboxes.getSandbox({ sandboxId: running })).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    expect((await client.sandboxes.getSandbox({ sandboxId: paused })).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_PAUSED);
    // The poll kept answering across the restart, and only ever saw these.
    expect(recorder.samples).toBeGreaterThan(samples + 10);
    expect(statusNames(recorder.seen.get(running))).toEqual(["SANDBOX_STATUS_RUNNING"]);
    expect(statusNames(recorder.seen.get(paused))).toEqual(["SANDBOX_STATUS_PAUSED"]);
  }

  it("kill -9 of the host agent", async () => {
    const old = stack.services.hostagent.pid;
    await survives(() => stack.restart("hostagent", { signal: "SIGKILL" }));
    expect(stack.services.hostagent.pid).not.toBe(old);
  });

  it("the host agent down until the controlplane has noticed (heartbeat, event stream, relay), then back", async () => {
    const log = join(stack.logDir, "controlplane.log");
    const noticed = () => readFile(log, "utf8").then((text) => text.split('"host agent stopped answering"').length - 1);
    const before = await noticed();
    await survives(async () => {
      await stack.services.hostagent.halt("SIGKILL");
      await expect.poll(noticed, { timeout: 120_000, interval: 100, message: '"host agent stopped answering" lines in its log' }).toBeGreaterThan(before);
      // Down, and known to be down: calls to the sandbox fail, its status does not change.
      await expect(client.run(running, "true")).rejects.toThrow(/unreachable|UNAVAILABLE/i);
      expect((await client.sandboxes.getSandbox({ sandboxId: running })).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
      await stack.services.hostagent.start();
    });
  });

  it("kill -9 of the controlplane", async () => {
    const old = stack.services.controlplane.pid;
    await survives(() => stack.restart("controlplane", { signal: "SIGKILL" }));
    expect(stack.services.controlplane.pid).not.toBe(old);
  });

  it("a clean restart of the whole platform", async () => {
    await survives(() => stack.restart());
  });

  it("the paused sandbox resumes with its counter and tmpfs file where they were", async () => {
    await recorder.stop();
    expect(statusNames(recorder.seen.get(paused))).toEqual(["SANDBOX_STATUS_PAUSED"]);
    const resumed = await client.sandboxes.resumeSandbox({ sandboxId: paused, wait: true });
    expect(resumed.sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    // The same counter process, counting on from (at least) where it was paused.
    expect(await counterProcesses(paused)).toEqual(pausedCounter.pids);
    const value = Number((await exec(paused, "cat /tmp/c")).trim());
    expect(value).toBeGreaterThanOrEqual(pausedCounter.value);
    await counterAbove(paused, value);
    expect((await exec(paused, "sha256sum /dev/shm/blob | cut -d' ' -f1")).trim()).toBe(pausedBlobSha);
  });
});
