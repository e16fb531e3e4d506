import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Status } from "nice-grpc";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { keyThroughSession } from "../harness/signed-up-team.js";

/** Ids the fuzzers can aim at: a real running sandbox and a tagged background process in it. */
export interface FuzzTargets {
  sandboxId: string;
  processTag: string;
  processPid: number;
}

export interface LiveStack {
  stack: Stack;
  /** The harness's own client and its key (both replaced when a fuzzed call revoked the key). */
  client: WrennClient;
  apiKey: string;
  targets: FuzzTargets;
  /**
   * A new key of the targets' team (the bootstrap admin's), made through an
   * admin session: a fuzzed call may revoke any key of the team it holds a
   * key of, but no API key can end a session.
   */
  newKey(name: string): Promise<{ apiKey: string; keyId: string }>;
  /**
   * Makes sure the harness's key still works and the targets exist (a fuzzed
   * call may have revoked the key, or destroyed, paused or expired them); replaces them if not.
   */
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
  // The fuzz floods CreateSandbox (and its destroys end the targets, which the harness then makes again): the
  // per-key create rate (tested on its own in the controlplane's suite) would refuse the harness's own creates.
  // The services inherit this environment.
  process.env.WRENN_CREATE_RATE_PER_MINUTE ??= "100000";
  const stack = await startStack({ runtime: "namespace" });
  const client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
  const adminEmail = process.env.WRENN_ADMIN_EMAIL ?? "admin@wrenn.local";
  try {
    const live: LiveStack = {
      stack,
      client,
      apiKey: stack.apiKey,
      targets: await createTargets(client),
      async newKey(name) {
        const password = (await readFile(join(stack.dataDir, "admin-password"), "utf8")).trim();
        return keyThroughSession(stack.httpUrl, adminEmail, password, name);
      },
      async refresh() {
        if (!(await keyWorks(live.client))) {
          live.client.close();
          live.apiKey = (await live.newKey("fuzz harness")).apiKey;
          live.client = createWrennClient(stack.grpcAddress, { apiKey: live.apiKey });
        }
        if (!(await stillThere(live.client, live.targets))) live.targets = await createTargetsWithinQuota(live.client);
      },
      async close() {
        await live.refresh().catch(() => undefined);
        await destroyAll(live.client).catch(() => undefined);
        live.client.close();
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

async function keyWorks(client: WrennClient): Promise<boolean> {
  try {
    await client.sandboxes.listSandboxes({});
    return true;
  } catch (err) {
    if ((err as { code?: Status }).code === Status.UNAUTHENTICATED) return false;
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

/**
 * Fuzzed creates count against the same team's sandbox quota (and fuzzed
 * destroys may have ended the targets): when the team is full, the sandboxes
 * the fuzz left are destroyed to make room for new targets.
 */
async function createTargetsWithinQuota(client: WrennClient): Promise<FuzzTargets> {
  try {
    return await createTargets(client);
  } catch (err) {
    if ((err as { code?: Status }).code !== Status.RESOURCE_EXHAUSTED) throw err;
    await destroyAll(client);
    return createTargets(client);
  }
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
