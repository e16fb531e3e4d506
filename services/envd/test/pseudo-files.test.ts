import { existsSync, readFileSync } from "node:fs";
import { Status } from "nice-grpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pseudoFileLimitBytes } from "../src/filesystem/pseudo-fs.js";
import { startEnvd, type RunningEnvd } from "./harness.js";

/**
 * Kernel pseudo-files pass "is a regular file" but are generated on each
 * read: /proc/kcore claims the size of the address space and
 * /proc/self/pagemap never ends. envd sends at most pseudoFileLimitBytes of
 * such a file, then ends the stream with a clear FAILED_PRECONDITION.
 */
let envd: RunningEnvd;
beforeAll(async () => {
  envd = await startEnvd();
});
afterAll(async () => {
  await envd?.stop();
});

interface Outcome {
  bytes: number;
  code?: number;
  details?: string;
}

async function readToEnd(path: string): Promise<Outcome> {
  let bytes = 0;
  try {
    for await (const { data } of envd.fs.readFile({ path }, { signal: AbortSignal.timeout(30_000) })) bytes += data.length;
    return { bytes };
  } catch (err) {
    const { code, details } = err as { code?: number; details?: string };
    return { bytes, code, details };
  }
}

describe("ReadFile of kernel pseudo-files", () => {
  for (const path of ["/proc/kcore", "/proc/self/pagemap"]) {
    // Some hosts' kernels have no /proc/kcore (CONFIG_PROC_KCORE); the guest's has, and the QEMU clones test reads it there.
    it.skipIf(!existsSync(path))(`${path} ends with a clear error after at most ${pseudoFileLimitBytes} bytes`, async () => {
      const outcome = await readToEnd(path);
      expect(outcome.code).toBe(Status.FAILED_PRECONDITION);
      expect(outcome.details).toContain(`read ${path}: a kernel pseudo-file (proc) longer than ${pseudoFileLimitBytes} bytes`);
      expect(outcome.bytes).toBeLessThanOrEqual(pseudoFileLimitBytes);
      expect(outcome.bytes).toBeGreaterThan(0);
    });
  }

  it("/proc/self/mem is a clear error, not INTERNAL", async () => {
    const outcome = await readToEnd("/proc/self/mem");
    // Offset 0 of a process's memory is never mapped: the kernel answers EIO.
    expect(outcome).toMatchObject({ bytes: 0, code: Status.FAILED_PRECONDITION, details: "read /proc/self/mem: input/output error (EIO)" });
  });

  it("a short pseudo-file (/proc/self/status) is read whole, and envd keeps answering", async () => {
    const outcome = await readToEnd("/proc/self/status");
    expect(outcome.code).toBeUndefined();
    expect(outcome.bytes).toBeGreaterThan(100);
    expect(outcome.bytes).toBeLessThan(pseudoFileLimitBytes);
    const stat = await envd.fs.stat({ path: "/proc/self/status" });
    expect(stat.entry?.path).toBe("/proc/self/status");
  });

  it("a short sysfs attribute reads whole; a real file larger than the limit is not cut", async () => {
    const sys = await readToEnd("/sys/kernel/uevent_seqnum");
    expect(sys.code).toBeUndefined();
    expect(sys.bytes).toBe(readFileSync("/sys/kernel/uevent_seqnum").length);
    const big = await readToEnd(process.execPath);
    expect(big.code).toBeUndefined();
    expect(big.bytes).toBeGreaterThan(pseudoFileLimitBytes);
  });

  it("no read left envd with an INTERNAL answer or an unlogged error", () => {
    expect(envd.logs.filter((line) => line.msg === "unhandled error in RPC")).toEqual([]);
  });
});
