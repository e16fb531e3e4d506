import { describe, expect, it } from "vitest";
import { CommandError, runCommand } from "../src/run-command.js";

const sh = (script: string) => ["/bin/sh", "-c", script];

describe("runCommand", () => {
  it("collects stdout and stderr of a command that succeeds", async () => {
    const result = await runCommand(sh("echo out; echo err >&2"));
    expect(result).toEqual({ stdout: "out\n", stderr: "err\n" });
  });

  it("feeds input to stdin and passes cwd and env", async () => {
    const result = await runCommand(sh('cat; pwd; echo "$GREETING"'), { input: "in\n", cwd: "/tmp", env: { PATH: process.env.PATH, GREETING: "hi" } });
    expect(result.stdout).toBe("in\n/tmp\nhi\n");
  });

  it("streams output to the callbacks as it comes", async () => {
    const out: string[] = [];
    const err: string[] = [];
    await runCommand(sh("echo a; echo b >&2"), { onStdout: (c) => out.push(c), onStderr: (c) => err.push(c) });
    expect(out.join("")).toBe("a\n");
    expect(err.join("")).toBe("b\n");
  });

  it("rejects a non-zero exit with its code and the tail of its stderr", async () => {
    const failure = await runCommand(sh("echo first >&2; echo 'No such file or directory' >&2; exit 3")).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CommandError);
    const err = failure as CommandError;
    expect(err.code).toBe(3);
    expect(err.signal).toBeNull();
    expect(err.stderr).toBe("first\nNo such file or directory\n");
    expect(err.message).toMatch(/^\/bin\/sh -c .* failed \(exit 3\):\nfirst\nNo such file or directory$/);
  });

  it("keeps a long command out of the message but in the error", async () => {
    const script = `exit 1 # ${"x".repeat(1000)}`;
    const err = (await runCommand(sh(script)).catch((e: unknown) => e)) as CommandError;
    expect(err.command).toEqual(sh(script));
    expect(err.message.length).toBeLessThan(300);
  });

  it("reports a command that cannot start as a CommandError with the reason", async () => {
    const err = (await runCommand(["/nonexistent/wrenn-no-such-tool"]).catch((e: unknown) => e)) as CommandError;
    expect(err).toBeInstanceOf(CommandError);
    expect(err.code).toBeNull();
    expect(err.message).toMatch(/ENOENT/);
  });

  it("reports a child killed by a signal", async () => {
    const err = (await runCommand(sh("kill -9 $$")).catch((e: unknown) => e)) as CommandError;
    expect(err).toBeInstanceOf(CommandError);
    expect(err.signal).toBe("SIGKILL");
    expect(err.message).toMatch(/killed by SIGKILL/);
  });

  it("kills the child on abort and rejects with the signal's reason", async () => {
    const controller = new AbortController();
    const started = runCommand(sh("echo started; exec sleep 600"), { signal: controller.signal, onStdout: () => controller.abort(new Error("stop now")) });
    await expect(started).rejects.toThrow("stop now");
  });

  it("rejects an aborted command only once it is gone, so cleanup after the rejection never races it (SIGKILL if it ignores SIGTERM)", async () => {
    const controller = new AbortController();
    let pid = 0;
    const started = runCommand(sh("trap '' TERM; echo $$; while :; do sleep 0.05; done"), {
      signal: controller.signal,
      onStdout: (text) => {
        pid = Number(text.trim());
        controller.abort(new Error("stop now"));
      },
    });
    await expect(started).rejects.toThrow("stop now");
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow();
  }, 15_000);

  it("refuses to start when the signal already aborted", async () => {
    await expect(runCommand(["true"], { signal: AbortSignal.abort(new Error("too late")) })).rejects.toThrow("too late");
  });
});
