import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";

/** Ids the fuzzers can aim at: a real running sandbox and a tagged background process in it. */
export interface FuzzTargets {
  sandboxId: string;
  processTag: string;
  processPid: number;
}

export interface LiveStack {
  stack: Stack;
  client: WrennClient;
  targets: FuzzTargets;
  /** Makes sure the targets exist (a fuzzed call may have destroyed, paused or expired them); replaces them if not. */
  refresh(): Promise<void>;
  /** Destroys every sandbox of the stack, then stops it. */
  close(): Promise<void>;
}

/**
 * The real platform (namespace runtime, real PostgreSQL and Redis) with one
 * running sandbox and one long-running tagged process, so fuzzed requests
 * that name existing things get past "not found" and reach deeper code.
 */
export async function startLiveStack(): Promise<LiveStack> {
  const stack = await startStack({ runtime: "namespace" });
  const client = createWrennClient(stack.grpcAddress);
  try {
    const live: LiveStack = {
      stack,
      client,
      targets: await createTargets(client),
      async refresh() {
        if (!(await stillThere(client, live.targets))) live.targets = await createTargets(client);
      },
      async close() {
        await destroyAll(client).catch(() => undefined);
        client.close();
        await stack.close();
      },
    };
    return live;
  } catch (err) {
    client.close();
    await stack.close();
    throw err;
  }
}

async function createTargets(client: WrennClient): Promise<FuzzTargets> {
  const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
  if (sandbox?.status !== SandboxStatus.SANDBOX_STATUS_RUNNING) {
    throw new Error(`fuzz sandbox did not start: ${sandbox?.status} ${sandbox?.error}`);
  }
  const processTag = "fuzz-ticker";
  let processPid = 0;
  const events = client.processes.startProcess({
    sandboxId: sandbox.sandboxId,
    start: { process: { cmd: "sleep", args: ["3600"], envs: {} }, tag: processTag, background: true, timeoutMs: 0, keepStdinOpen: true },
  });
  for await (const { event } of events) {
    if (event?.start) {
      processPid = event.start.pid;
      break;
    }
  }
  return { sandboxId: sandbox.sandboxId, processTag, processPid };
}

async function stillThere(client: WrennClient, targets: FuzzTargets): Promise<boolean> {
  try {
    const { sandbox } = await client.sandboxes.getSandbox({ sandboxId: targets.sandboxId });
    if (sandbox?.status !== SandboxStatus.SANDBOX_STATUS_RUNNING) return false;
    const { processes } = await client.processes.listProcesses({ sandboxId: targets.sandboxId });
    return processes.some((p) => p.tag === targets.processTag);
  } catch {
    return false;
  }
}

/** Fuzzed creates may have started sandboxes too: none outlives the run. */
async function destroyAll(client: WrennClient): Promise<void> {
  const { sandboxes } = await client.sandboxes.listSandboxes({});
  const live = sandboxes.filter((s) => s.status !== SandboxStatus.SANDBOX_STATUS_STOPPED);
  await Promise.all(live.map((s) => client.sandboxes.destroySandbox({ sandboxId: s.sandboxId, wait: true }).catch(() => undefined)));
}
