import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWrennClient, SandboxStatus } from "@wrenn/client";
import { repoRoot, startStack, type Stack } from "@wrenn/devstack";
import { linesMismatch } from "../harness/json-shape.js";
import { readmeSteps, shellBlocks } from "../harness/readme-blocks.js";

// The README's curl walk-through, pasted in order into one shell as a new
// user would: the README's own commands, with the stack's address for
// localhost:8080, the stack's key file for .wrenn/api-key and the sandbox id
// the create answered for SB. Each step
// must answer the HTTP status the README shows (200 unless it shows
// another), and its output must have the shape the README shows, line by line.
const execFileAsync = promisify(execFile);
const steps = readmeSteps(shellBlocks(readFileSync(join(repoRoot, "README.md"), "utf8"), "With curl"));

// On the namespace runtime, and on QEMU (what `./wrenn up` gives a user) where it is installed.
const qemuInstalled = (process.env.PATH ?? "").split(":").some((dir) => existsSync(join(dir, "qemu-system-x86_64")));
const runtimes = (process.env.WRENN_TEST_RUNTIMES ?? (qemuInstalled ? "namespace,qemu" : "namespace")).split(",");

let stack: Stack;
let sandboxId: string | undefined;
/** What the walk-through's `export WRENN_API_KEY=…` read. */
let apiKey: string | undefined;
let previousOutput: unknown[] = [];

async function startFor(runtime: string): Promise<void> {
  sandboxId = undefined;
  apiKey = undefined;
  previousOutput = [];
  // Netns networking, as `./wrenn up` has it as root (loopback ports are forwarded); a prefix and pool of its own.
  stack = await startStack({
    runtime: runtime as "namespace" | "qemu",
    sandboxNetwork: "netns",
    hostagentEnv: { WRENN_NETWORK_PREFIX: "wrm", WRENN_NETWORK_POOL: "10.250.0.0/16" },
    hostagentStartTimeoutMs: 15 * 60_000,
  });
}

async function stopStack(): Promise<void> {
  if (stack) {
    // The walk-through leaves the sandbox it created with a timeout; remove whatever is left.
    const client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
    const { sandboxes } = await client.sandboxes.listSandboxes({}).catch(() => ({ sandboxes: [] }));
    for (const sandbox of sandboxes) {
      if (sandbox.status !== SandboxStatus.SANDBOX_STATUS_STOPPED) await client.sandboxes.destroySandbox({ sandboxId: sandbox.sandboxId, wait: true }).catch(() => undefined);
    }
    client.close();
  }
  await stack?.close();
}

/** The command as it runs against this stack: its address and its key file. */
function localized(command: string): string {
  return command.replaceAll("localhost:8080", stack.httpUrl.replace(/^http:\/\//, "")).replaceAll(".wrenn/api-key", stack.apiKeyFile);
}

/** The shell the steps run in: the sandbox id and key the earlier steps gave, and nothing of the test's own. */
function shellEnv(): NodeJS.ProcessEnv {
  return { ...process.env, SB: sandboxId ?? "", WRENN_API_KEY: apiKey ?? "" };
}

/** Runs one command in bash, with curl reporting each answer's HTTP status after its body. */
function run(command: string): Promise<{ code: number; lines: string[]; statuses: number[] }> {
  const script = `curl() { command curl -w '\\n@@http %{http_code}\\n' "$@"; }\n${localized(command)}\n`;
  return new Promise((resolve) => {
    execFile("bash", ["-c", script], { env: shellEnv(), timeout: 60_000 }, (err, stdout) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      const statuses: number[] = [];
      const lines: string[] = [];
      for (const line of stdout.split("\n")) {
        const status = /^@@http (\d{3})$/.exec(line);
        if (status) statuses.push(Number(status[1]));
        else if (line.trim()) lines.push(line);
      }
      resolve({ code, lines, statuses });
    });
  });
}

/** The output bytes of a process event line (base64 stdout, stderr or pty), decoded. */
function outputBytes(line: unknown): string {
  const data = (line as { event?: { data?: Record<string, string> } }).event?.data;
  if (!data) return "";
  return Object.values(data).map((b64) => Buffer.from(b64, "base64").toString("utf8")).join("");
}

it("the README's walk-through has the steps a newcomer needs: create, exec, files, watch, background, stdin, a PTY, ports, pause, destroy", () => {
  const commands = steps.map((s) => s.command).join("\n");
  for (const route of ["/processes/connect", "/processes/input", "/processes/update", "/processes/signal", "/files/watch", "/ports", "/pause", "/resume"]) {
    expect(commands).toContain(route);
  }
  expect(commands).toContain('"pty":{');
  expect(commands).toMatch(/-X DELETE \S+\/processes\/ticker/);
  // The key is read first, and every call but the one that shows the refusal sends it.
  expect(steps.findIndex((s) => s.setsKey)).toBe(0);
  for (const step of steps.slice(1)) {
    if (!step.setsSandbox) expect(step.command.includes("Bearer $WRENN_API_KEY"), step.command).toBe(step.status !== 401);
  }
});

describe.each(runtimes)("the README's curl walk-through, as written (%s runtime)", (runtime) => {
  beforeAll(() => startFor(runtime), 20 * 60_000);
  afterAll(() => stopStack(), 5 * 60_000);

  for (const [index, step] of steps.entries()) {
    it(`step ${index + 1}: ${step.command.split("\n")[0].slice(0, 110)}`, async () => {
      if (step.setsKey) {
        // Run as written (with this stack's key file), then read what it set.
        const { stdout } = await execFileAsync("bash", ["-c", `${localized(step.command)}\nprintf '%s' "$WRENN_API_KEY"`], { env: shellEnv() });
        apiKey = stdout;
        expect(apiKey).toBe(stack.apiKey);
        return;
      }
      if (step.setsSandbox) {
        // What a user copies from the create's answer.
        sandboxId = (previousOutput[0] as { sandbox?: { sandboxId?: string } } | undefined)?.sandbox?.sandboxId;
        expect(sandboxId).toMatch(/^sb-[0-9a-f]{32}$/);
        return;
      }
      const { code, lines, statuses } = await run(step.command);
      // A bounded stream (-m) ends with curl's timeout code 28; anything else must succeed.
      expect(code === 0 || (code === 28 && / -m \d+ /.test(step.command)), `exit code ${code}`).toBe(true);
      expect(statuses.length, "an HTTP answer").toBeGreaterThan(0);
      for (const status of statuses) expect(status, lines.join("\n")).toBe(step.status);
      if (step.text.length > 0) {
        expect(lines).toEqual(step.text);
        return;
      }
      const parsed = lines.map((line) => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          throw new Error(`not a JSON line: ${line}`);
        }
      });
      previousOutput = parsed;
      if (step.output.length > 0) expect(linesMismatch(step.output, parsed), lines.join("\n")).toBeNull();
      const bytes = parsed.map((line) => outputBytes(line)).join("");
      for (const text of step.outputContains) expect(bytes, "the output bytes").toContain(text);
    });
  }
});
