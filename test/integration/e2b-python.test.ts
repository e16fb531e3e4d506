import { describe, expect, it } from "vitest";
import { useE2bStack } from "../harness/e2b-stack.js";
import { runPythonScript } from "../harness/e2b-tls.js";

/**
 * The official PyPI `e2b` SDK (in .venv, pinned by scripts/install-codegen.sh)
 * against Wrenn, configured only through E2B_API_URL, E2B_SANDBOX_URL and
 * E2B_API_KEY: each script in test/e2b-python drives one client (sync
 * `Sandbox`, async `AsyncSandbox`) and prints what it saw as JSON.
 */
const e2b = useE2bStack();

/** What sync_sandbox.py and async_sandbox.py print, for a client that wrote `text` under `dir`. */
function expectedRun(suite: string, greeting: string, text: string, id: string) {
  return {
    sandbox_id: id,
    run: { stdout: `${greeting}\n`, stderr: "to-stderr\n", exit_code: 0 },
    failed: { type: "CommandExitException", exit_code: 3 },
    read: text,
    listed: ["notes.txt"],
    info: { sandbox_id: id, metadata: { suite }, state: "running" },
    killed: true,
    running_after_kill: false,
  };
}

describe("e2b Python SDK with E2B_API_URL and E2B_SANDBOX_URL", () => {
  it("sync Sandbox: create with metadata, envs and a timeout; commands.run and CommandExitException; files; get_info; kill", async () => {
    const seen = (await runPythonScript("sync_sandbox", e2b.env)) as { sandbox_id: string };
    expect(seen.sandbox_id).toMatch(/^[a-z0-9]+$/);
    expect(seen).toEqual(expectedRun("python-sync", "hello from envs", "written by the sync client", seen.sandbox_id));
  });

  it("async AsyncSandbox: the same calls", async () => {
    const seen = (await runPythonScript("async_sandbox", e2b.env)) as { sandbox_id: string };
    expect(seen.sandbox_id).toMatch(/^[a-z0-9]+$/);
    expect(seen).toEqual(expectedRun("python-async", "hello from async", "written by the async client", seen.sandbox_id));
  });

  it("a killed sandbox is gone for the SDK: get_info raises its NotFoundException", async () => {
    const seen = (await runPythonScript("killed_sandbox", e2b.env)) as Record<string, unknown>;
    expect(seen).toEqual({ killed: true, error: "NotFoundException", kill_again: false });
  });
});
