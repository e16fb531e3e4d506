import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test, vi } from "vitest";
import { createLogger } from "@wrenn/shared";
import { startClockHelper } from "../src/metadata/clock-helper.js";
import { startEnvd } from "./harness.js";

const helperBinary = fileURLToPath(new URL("../dist/wrenn-clock", import.meta.url));
const logger = createLogger("clock-test", { level: "silent" });

// These tests run as root on a real machine and must never move its clock:
// the helper runs in a fresh user namespace, where clock_settime is refused
// with EPERM (CLOCK_REALTIME belongs to the initial namespace). Setting the
// clock for real is covered in a VM by the host agent's lifecycle tests.
const dir = mkdtempSync(join(tmpdir(), "wrenn-clock-"));
const confined = join(dir, "wrenn-clock-in-userns");
writeFileSync(confined, `#!/bin/sh\nexec unshare --user ${helperBinary}\n`);
chmodSync(confined, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("wrenn-clock helper", () => {
  test("answers each line: EINVAL for malformed requests, the errno of clock_settime otherwise", () => {
    const out = execFileSync(confined, { input: "garbage\n1 2 3\n1700000000 1000000000\n1700000000 5\n" }).toString();
    expect(out.split("\n")).toEqual(["22", "22", "22", "1", ""]);
  });

  test("startClockHelper rejects with the errno name and stays usable; a dead helper is noticed", async () => {
    const helper = startClockHelper(confined, logger);
    await expect(helper.set(Date.now())).rejects.toThrow(/EPERM/);
    await expect(helper.set(Date.now())).rejects.toThrow(/EPERM/);
    expect(helper.alive).toBe(true);
    process.kill(helper.pid!, "SIGKILL");
    await expect.poll(() => helper.alive).toBe(false);
    await expect(helper.set(Date.now())).rejects.toThrow(/not running/);
  });
});

describe("envd with a clock helper", () => {
  test("Init with a far-off host clock goes through the helper; a refusal is logged and Init still succeeds", async () => {
    const envd = await startEnvd({ WRENN_ENVD_CLOCK_HELPER: confined });
    try {
      const before = Date.now();
      await envd.envd.init({ sandboxId: "sb-clock", templateId: "t", hostname: "", defaultUser: "", envs: {}, nowUnixMs: Date.now() + 3_600_000 });
      expect(Math.abs(Date.now() - before)).toBeLessThan(60_000);
      // The log line travels over envd's stdout and can arrive after Init's answer.
      const warning = await vi.waitFor(() => {
        const line = envd.logs.find((l) => l.msg === "could not set the guest clock");
        if (!line) throw new Error("envd logged no 'could not set the guest clock' warning");
        return line;
      });
      expect(warning.err).toMatch(/EPERM/);
      expect(envd.logs.some((l) => l.msg === "clock helper unavailable; falling back to date")).toBe(false);
    } finally {
      await envd.stop();
    }
  });
});
