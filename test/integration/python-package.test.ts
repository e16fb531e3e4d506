import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, startStack, type Stack } from "@wrenn/devstack";

// The Python client as a user installs it: a fresh virtualenv, nothing but
// `pip install gen/python` (its pyproject declares the dependencies), and
// the example program run from another directory, with no PYTHONPATH.
let stack: Stack;
let venv: string;

beforeAll(async () => {
  venv = await mkdtemp(join(tmpdir(), "wrenn-venv-"));
  stack = await startStack();
}, 300_000);

afterAll(async () => {
  await stack?.close();
  if (venv) await rm(venv, { recursive: true, force: true });
});

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(cmd, args, { cwd: venv, encoding: "utf8", timeout: 240_000, env: { ...process.env, PYTHONPATH: "", ...env } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("the Python client installs with its dependencies declared", () => {
  it("pip install gen/python into a fresh virtualenv, then the example runs against a live stack", () => {
    expect(run("python3", ["-m", "venv", join(venv, "env")]).status).toBe(0);
    const python = join(venv, "env", "bin", "python");
    // A copy of the package (pip builds in place otherwise, leaving build files in gen/).
    expect(spawnSync("cp", ["-r", join(repoRoot, "gen", "python"), join(venv, "src")]).status).toBe(0);
    const install = run(python, ["-m", "pip", "install", "-q", "--disable-pip-version-check", join(venv, "src")]);
    expect(install.status, install.output).toBe(0);
    const imports = run(python, ["-c", "import grpc, google.api.annotations_pb2, wrenn_gen.wrenn.api.v1.sandbox_pb2_grpc"]);
    expect(imports.status, imports.output).toBe(0);
    const hello = run(python, [join(repoRoot, "clients", "python", "examples", "hello.py")], { WRENN_ADDRESS: stack.grpcAddress, WRENN_API_KEY: stack.apiKey });
    expect(hello.output).toMatch(/^hello\nexit code 0 in sb-[0-9a-f]{32}\n$/);
    expect(hello.status).toBe(0);
  });
});
