import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { exec, newSandboxId, startAgent, type AgentProcess } from "./harness.js";

/**
 * The namespace runtime: envd's unix socket is bound inside the sandbox's
 * /run/wrenn (a host directory bind-mounted there), then the agent moves it
 * to a name outside that directory. The agent still reaches envd; no process
 * in the sandbox can name the socket. (The VM side of "only the host reaches
 * envd" is in test/qemu/clones.test.ts.)
 */
let agent: AgentProcess;
const sandboxId = newSandboxId();

beforeAll(async () => {
  agent = await startAgent({ WRENN_RUNTIME: "namespace" });
  await agent.sandboxes.createSandbox({ sandboxId, templateId: "base", envs: {}, startTimeoutSeconds: 60 });
}, 120_000);
afterAll(async () => {
  await agent?.sandboxes.destroySandbox({ sandboxId }).catch(() => {});
  await agent?.stop();
});

async function run(script: string): Promise<string> {
  const result = await exec(agent, sandboxId, "sh", ["-c", script]);
  expect(result.exitCode, `${script}: ${result.stderr}`).toBe(0);
  return result.stdout.trim();
}

describe("envd's socket in a namespace sandbox", () => {
  test("is not in the sandbox's view: /run/wrenn holds only the clone-generation file, and dialling the old name fails", async () => {
    expect(await run("ls -A /run/wrenn")).toBe("clone-generation");
    expect(await run("cat /run/wrenn/clone-generation")).toMatch(/^[0-9a-f]{32}$/);
    // The kernel still lists the name the socket was bound with; a process that tries it finds nothing there.
    const dial = `require("net").connect("/run/wrenn/envd.sock").on("connect", () => { console.log("connected"); process.exit(0); }).on("error", (e) => { console.log(e.code); process.exit(0); })`;
    expect(await run(`node -e '${dial}'`)).toBe("ENOENT");
    // The agent, on the host, is served through the moved socket.
    expect(await run("echo served")).toBe("served");
  });
});
