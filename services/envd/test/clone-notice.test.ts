import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Status } from "nice-grpc";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { startEnvd, statusOf, type RunningEnvd } from "./harness.js";

/**
 * Init reseeds the kernel RNG with the host's entropy and renews the
 * clone-generation file. Here envd runs on the test machine: the helper runs
 * in a user namespace (like the clock tests), where the kernel refuses the
 * RNG ioctls, so the fallback path is what runs; the QEMU clones test
 * (services/hostagent/test/qemu/clones.test.ts) covers the ioctls in a guest.
 */
const helperBinary = fileURLToPath(new URL("../dist/wrenn-clock", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "wrenn-seed-"));
const confined = join(dir, "wrenn-clock-in-userns");
writeFileSync(confined, `#!/bin/sh\nexec unshare --user ${helperBinary}\n`);
chmodSync(confined, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let envd: RunningEnvd | undefined;
afterEach(async () => {
  await envd?.stop();
  envd = undefined;
});

/** envd's "initialised" line for `sandboxId` (its stderr arrives a little after the call's answer). */
const initLog = (e: RunningEnvd, sandboxId: string) =>
  expect.poll(() => e.logs.find((l) => l.msg === "initialised" && l.sandboxId === sandboxId), { timeout: 5_000 });

describe("wrenn-clock seed requests", () => {
  test("answer EINVAL for bad hex or an empty seed; without CAP_SYS_ADMIN the bytes are mixed through /dev/urandom", () => {
    const out = execFileSync(confined, { input: `seed zz\nseed \nseed abc\nseed ${"ab".repeat(513)}\nseed ${"ab".repeat(64)}\n` }).toString();
    expect(out.split("\n")).toEqual(["22", "22", "22", "22", "0 mixed", ""]);
  });
});

describe("Init and the kernel RNG", () => {
  test("the host's entropy goes through the helper, and the path taken is logged", async () => {
    envd = await startEnvd({ WRENN_ENVD_CLOCK_HELPER: confined });
    await envd.envd.init({ sandboxId: "sb-seeded", entropy: randomBytes(64) });
    await initLog(envd, "sb-seeded").toMatchObject({ rng: "helper-mixed", rngMs: expect.any(Number) });
  });

  test("without a helper the bytes are written to /dev/urandom; without entropy nothing is fed", async () => {
    envd = await startEnvd();
    await envd.envd.init({ sandboxId: "sb-plain", entropy: randomBytes(32) });
    await initLog(envd, "sb-plain").toMatchObject({ rng: "urandom-write" });
    await envd.envd.init({ sandboxId: "sb-none" });
    await initLog(envd, "sb-none").toMatchObject({ rng: "none" });
  });

  test("entropy of the wrong size is INVALID_ARGUMENT", async () => {
    envd = await startEnvd();
    expect(await statusOf(envd.envd.init({ entropy: randomBytes(8) }))).toBe(Status.INVALID_ARGUMENT);
    expect(await statusOf(envd.envd.init({ entropy: randomBytes(513) }))).toBe(Status.INVALID_ARGUMENT);
  });
});

describe("the clone-generation file", () => {
  test("holds a fresh random id from the start and after every Init; a watch on its directory sees each change", async () => {
    envd = await startEnvd({ WRENN_LOG_LEVEL: "debug" });
    const file = envd.cloneFile;
    const read = () => readFileSync(file, "utf8");
    const renewals = () => envd!.logs.filter((l) => l.msg === "clone generation renewed").map((l) => `${l.id as string}\n`);
    // Once at start, once after the harness's Init.
    await expect.poll(() => renewals().length).toBe(2);
    const first = read();
    expect(first).toBe(renewals()[1]);
    expect(first).toMatch(/^[0-9a-f]{32}\n$/);
    // What a long-running process in a template does: watch the directory (the file is replaced by rename).
    const seen: string[] = [];
    const watcher = watch(dirname(file), (_event, name) => {
      if (name === basename(file)) seen.push(name);
    });
    try {
      // Renewed right after each Init answers.
      await envd.envd.init({ sandboxId: "sb-a", entropy: randomBytes(64) });
      await expect.poll(() => renewals().length).toBe(3);
      const second = read();
      expect(second).toBe(renewals()[2]);
      await envd.envd.init({ sandboxId: "sb-b", entropy: randomBytes(64) });
      await expect.poll(() => renewals().length).toBe(4);
      const third = read();
      expect(third).toBe(renewals()[3]);
      expect(new Set([first, second, third]).size).toBe(3);
      expect(third).toMatch(/^[0-9a-f]{32}\n$/);
      await expect.poll(() => seen.length).toBeGreaterThanOrEqual(2);
    } finally {
      watcher.close();
    }
    // Replaced atomically: no temp file is left beside it.
    expect(readdirSync(dirname(file))).toEqual([basename(file)]);
  });
});
