import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ClientError, Status } from "nice-grpc";
import { createWrennClient, SandboxStatus } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { repoRoot } from "@wrenn/devstack";

// Each generated client (TypeScript, Python, Go) creates a sandbox, runs
// `echo hello`, checks output and exit code, and destroys it.
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

function runSmoke(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const result = spawnSync(command, args, {
    cwd,
    env: { ...process.env, WRENN_ADDRESS: stack.grpcAddress, WRENN_API_KEY: stack.apiKey, WRENN_HOSTAGENT_ADDRESS: stack.hostagentAddress, ...env },
    encoding: "utf8",
    timeout: 300_000,
  });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  return { status: result.status, output, error: result.error };
}

describe("generated client smoke tests", () => {
  it("the TypeScript client runs echo hello", async () => {
    const client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
    try {
      const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
      expect(sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
      const result = await client.run(sandbox!.sandboxId, "echo", ["hello"]);
      expect(result).toMatchObject({ stdout: "hello\n", exitCode: 0 });
      const destroyed = await client.sandboxes.destroySandbox({ sandboxId: sandbox!.sandboxId, wait: true });
      expect(destroyed.sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
    } finally {
      client.close();
    }
  });

  it("the TypeScript client without a key, or with a wrong one, is refused with UNAUTHENTICATED", async () => {
    for (const client of [createWrennClient(stack.grpcAddress), createWrennClient(stack.grpcAddress, { apiKey: `wrn_${"A".repeat(43)}` })]) {
      try {
        const refused = await client.sandboxes.listSandboxes({}).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(refused).toBeInstanceOf(ClientError);
        expect(Status[(refused as ClientError).code]).toBe("UNAUTHENTICATED");
      } finally {
        client.close();
      }
    }
  });

  it("the Python client runs echo hello, and reflection and health answer stock tooling", () => {
    const python = join(repoRoot, ".venv", "bin", "python");
    const result = runSmoke(python, ["-m", "pytest", "-q", "clients/python/tests"], repoRoot, {
      PYTHONPATH: join(repoRoot, "gen", "python"),
    });
    expect(result.error).toBeUndefined();
    expect(result.output).toMatch(/\b7 passed\b/);
    expect(result.output).not.toMatch(/failed|error/i);
    expect(result.status, result.output).toBe(0);
  });

  it("the Go client runs echo hello", () => {
    const result = runSmoke("go", ["test", "-count=1", "-v", "./..."], join(repoRoot, "clients", "go"));
    expect(result.error).toBeUndefined();
    expect(result.output).toContain("--- PASS: TestCreateRunEchoAndDestroy");
    expect(result.output).toContain("--- PASS: TestCallWithoutKeyOrWithWrongKeyIsUnauthenticated");
    expect(result.status, result.output).toBe(0);
  });

  // The README points new users at these two programs; they must run as written there.
  it("the README's Python and Go examples print hello and exit code 0", () => {
    const expected = /^hello\nexit code 0 in sb-[0-9a-f]{32}\n$/;
    const python = runSmoke(join(repoRoot, ".venv", "bin", "python"), ["clients/python/examples/hello.py"], repoRoot, {
      PYTHONPATH: join(repoRoot, "gen", "python"),
    });
    expect(python.output).toMatch(expected);
    expect(python.status).toBe(0);
    const go = runSmoke("go", ["run", "./examples/hello"], join(repoRoot, "clients", "go"));
    expect(go.output).toMatch(expected);
    expect(go.status).toBe(0);
  });
});
