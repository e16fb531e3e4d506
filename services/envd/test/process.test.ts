import { createHash, randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ClientError, Status } from "nice-grpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, isAlive, startEnvd, type RunningEnvd } from "./harness.js";

let envd: RunningEnvd;
beforeAll(async () => {
  envd = await startEnvd();
});
afterAll(async () => {
  await envd?.stop();
});

async function startError(request: Parameters<RunningEnvd["process"]["start"]>[0]): Promise<ClientError> {
  try {
    await collect(envd.process.start(request));
  } catch (err) {
    if (err instanceof ClientError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

describe("ProcessService.Start", () => {
  it("runs echo: start, stdout, then one end with exit 0", async () => {
    const run = await collect(envd.process.start({ process: { cmd: "echo", args: ["hello"] }, tag: "greeting" }));
    expect(run.events[0]?.start?.tag).toBe("greeting");
    expect(run.pid).toBeGreaterThan(1);
    expect(run.stdout.toString()).toBe("hello\n");
    expect(run.end).toMatchObject({ exitCode: 0, exited: true, signal: "", timedOut: false, error: "" });
    expect(run.events.filter((e) => e?.end)).toHaveLength(1);
  });

  it("gives a default tag of proc- and 8 hex characters", async () => {
    const run = await collect(envd.process.start({ process: { cmd: "true" } }));
    expect(run.events[0]?.start?.tag).toMatch(/^proc-[0-9a-f]{8}$/);
  });

  it("keeps stderr apart from stdout", async () => {
    const run = await collect(envd.process.start({ process: { cmd: "sh", args: ["-c", "echo out; echo err >&2"] } }));
    expect(run.stdout.toString()).toBe("out\n");
    expect(run.stderr.toString()).toBe("err\n");
  });

  it("propagates a non-zero exit code", async () => {
    const run = await collect(envd.process.start({ process: { cmd: "sh", args: ["-c", "exit 3"] } }));
    expect(run.end).toMatchObject({ exitCode: 3, exited: true });
  });

  it("honours envs and cwd, over a base env for the user", async () => {
    const cwd = join(envd.dir, "work");
    mkdirSync(cwd);
    const run = await collect(
      envd.process.start({
        process: { cmd: "sh", args: ["-c", 'echo "$FOO|$PWD|$HOME|$USER|$WRENN_ENVD_LISTEN"'], envs: { FOO: "bar baz" }, cwd },
      }),
    );
    // envd's own configuration does not leak into the child.
    expect(run.stdout.toString()).toBe(`bar baz|${cwd}|/root|root|\n`);
  });

  it("writes stdin and closes it; without stdin, cat ends at once", async () => {
    const fed = await collect(envd.process.start({ process: { cmd: "cat" }, stdin: Buffer.from("piped in\n") }));
    expect(fed.stdout.toString()).toBe("piped in\n");
    const empty = await collect(envd.process.start({ process: { cmd: "cat" } }));
    expect(empty.stdout.length).toBe(0);
    expect(empty.end.exitCode).toBe(0);
  });

  it("runs as another user when asked", async () => {
    const run = await collect(envd.process.start({ process: { cmd: "id", args: ["-un"], user: "nobody" } }));
    expect(run.stdout.toString()).toBe("nobody\n");
  });

  // Node's uid/gid spawn options drop supplementary groups; envd must keep them.
  const member = userWithSupplementaryGroup();
  it.skipIf(!member)("keeps the user's supplementary groups", async () => {
    const run = await collect(envd.process.start({ process: { cmd: "id", args: ["-G"], user: member!.user } }));
    expect(run.stdout.toString().trim().split(" ")).toContain(String(member!.gid));
  });

  it("kills the whole process group on timeout, grandchildren included", async () => {
    const started = Date.now();
    const run = await collect(
      envd.process.start({ process: { cmd: "sh", args: ["-c", "sleep 30 & echo $!; sleep 30"] }, timeoutMs: 500 }),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run.end).toMatchObject({ timedOut: true, exited: false, exitCode: -1, signal: "SIGKILL" });
    expect(run.end.error).toContain("timed out");
    const grandchild = Number(run.stdout.toString().trim());
    expect(grandchild).toBeGreaterThan(1);
    await expect.poll(() => isAlive(grandchild), { timeout: 3_000, message: `grandchild ${grandchild} to be killed` }).toBe(false);
    expect(isAlive(run.pid)).toBe(false);
  });

  it("kills the process group when the caller cancels", async () => {
    const abort = new AbortController();
    const pids: number[] = [];
    const consume = (async () => {
      for await (const { event } of envd.process.start(
        { process: { cmd: "sh", args: ["-c", "sleep 30 & echo $!; sleep 30"] } },
        { signal: abort.signal },
      )) {
        if (event?.start) pids.push(event.start.pid);
        if (event?.data?.stdout) {
          pids.push(Number(event.data.stdout.toString().trim()));
          abort.abort();
        }
      }
    })();
    await expect(consume).rejects.toThrow();
    expect(pids).toHaveLength(2);
    await expect.poll(() => pids.filter(isAlive), { timeout: 3_000, message: "the cancelled processes to exit" }).toEqual([]);
  });

  it("delivers 200 MB of output byte for byte", async () => {
    const file = join(envd.dir, "big.bin");
    const fd = openSync(file, "w");
    const expected = createHash("sha256");
    for (let i = 0; i < 200; i += 1) {
      const block = randomBytes(1_000_000);
      expected.update(block);
      writeSync(fd, block);
    }
    closeSync(fd);
    const got = createHash("sha256");
    let bytes = 0;
    let end: unknown;
    for await (const { event } of envd.process.start({ process: { cmd: "cat", args: [file] } })) {
      if (event?.data?.stdout) {
        got.update(event.data.stdout);
        bytes += event.data.stdout.length;
      }
      if (event?.end) end = event.end;
    }
    rmSync(file);
    expect(bytes).toBe(200_000_000);
    expect(got.digest("hex")).toBe(expected.digest("hex"));
    expect(end).toMatchObject({ exitCode: 0, exited: true });
  }, 60_000);

  it("holds output back for a slow consumer instead of buffering it (bounded memory)", async () => {
    const envdPid = envd.child.pid!;
    const hwmBefore = peakRssMb(envdPid);
    let received = 0;
    let first = true;
    for await (const { event } of envd.process.start({ process: { cmd: "head", args: ["-c", "200000000", "/dev/zero"] } })) {
      if (first) {
        first = false;
        // Unbounded buffering would pull all 200 MB into envd during this pause.
        await new Promise((r) => setTimeout(r, 1_500));
      }
      received += event?.data?.stdout?.length ?? 0;
    }
    expect(received).toBe(200_000_000);
    expect(peakRssMb(envdPid) - hwmBefore).toBeLessThan(100);
  });

  it("rejects an unknown user, a missing cwd and a missing command precisely", async () => {
    const user = await startError({ process: { cmd: "true", user: "no-such-user" } });
    expect(user.code).toBe(Status.INVALID_ARGUMENT);
    expect(user.details).toContain("no-such-user");

    const cwd = await startError({ process: { cmd: "true", cwd: "/no/such/dir" } });
    expect(cwd.code).toBe(Status.INVALID_ARGUMENT);
    expect(cwd.details).toContain("/no/such/dir does not exist");

    const cmd = await startError({ process: { cmd: "no-such-command-xyz" } });
    expect(cmd.code).toBe(Status.NOT_FOUND);
    expect(cmd.details).toContain("no-such-command-xyz");

    const empty = await startError({ process: { cmd: "" } });
    expect(empty.code).toBe(Status.INVALID_ARGUMENT);
  });
});

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? "0");
  return kb / 1024;
}

function userWithSupplementaryGroup(): { user: string; gid: number } | undefined {
  const users = new Set(readFileSync("/etc/passwd", "utf8").split("\n").map((l) => l.split(":")[0]));
  for (const line of readFileSync("/etc/group", "utf8").split("\n")) {
    const [, , gid, members] = line.split(":");
    const user = members?.split(",").find((m) => users.has(m));
    if (user) return { user, gid: Number(gid) };
  }
  return undefined;
}
