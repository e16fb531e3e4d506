import { expect } from "vitest";
import { forSandbox, type AgentProcess } from "../harness.js";
import { getOver, tunnelTo } from "./tunnel-client.js";

/** Starts a long-running server in the sandbox (a background process: it outlives this call). */
export async function startInSandbox(agent: AgentProcess, sandboxId: string, cmd: string, args: string[], cwd = "/tmp"): Promise<void> {
  const abort = new AbortController();
  try {
    for await (const { event } of agent.process.start(
      { process: { cmd, args, envs: {}, cwd }, background: true, timeoutMs: 0 },
      { ...forSandbox(sandboxId), signal: abort.signal },
    )) {
      if (event?.start) return;
      if (event?.end) throw new Error(`${cmd} ended at once with exit code ${event.end.exitCode}`);
    }
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    abort.abort();
  }
}

/** GET `path` from the sandbox's port through the tunnel once the server answers (it may take a moment to bind). */
export async function getThroughTunnel(tunnelAddress: string, sandboxId: string, port: number, path = "/"): Promise<string> {
  let text = "";
  await expect
    .poll(
      async () => {
        const reply = await tunnelTo(tunnelAddress, sandboxId, port);
        if (reply.status !== 200) return reply.status;
        text = await getOver(reply.socket, path);
        return 200;
      },
      { timeout: 15_000, interval: 200, message: `port ${port} of ${sandboxId} through the tunnel` },
    )
    .toBe(200);
  return text;
}
