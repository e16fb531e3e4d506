import { describe, expect, it } from "vitest";
import { Status } from "@wrenn/shared";
import { checkProcessConfig, processLimits } from "../../../src/rpc/process/process-limits.js";

function rejection(config: Partial<Parameters<typeof checkProcessConfig>[0]>): { code: number; details: string } {
  try {
    checkProcessConfig({ cmd: "sh", args: [], envs: {}, ...config });
  } catch (err) {
    return err as { code: number; details: string };
  }
  throw new Error("expected a rejection");
}

describe("process limits (what execve takes)", () => {
  it("accepts ordinary commands and arguments right at the per-string limit", () => {
    expect(() => checkProcessConfig({ cmd: "sh", args: ["-c", "x".repeat(processLimits.stringBytes)], envs: { A: "b" } })).not.toThrow();
  });

  it("refuses one argument or variable over 128 KiB, and too much in all, as INVALID_ARGUMENT", () => {
    const arg = rejection({ args: ["ok", "x".repeat(1024 * 1024)] });
    expect(arg.code).toBe(Status.INVALID_ARGUMENT);
    expect(arg.details).toBe(`start.process.args[1] is 1048576 bytes; one argument may be at most ${processLimits.stringBytes}`);
    expect(rejection({ envs: { BIG: "x".repeat(200_000) } }).details).toBe(
      `start.process.envs["BIG"] is 200004 bytes as NAME=value; at most ${processLimits.stringBytes}`,
    );
    const many = rejection({ args: Array.from({ length: 20 }, () => "x".repeat(100_000)) });
    expect(many.details).toMatch(/^start.process: cmd, args and envs take \d+ bytes; together they may take at most 1048576$/);
    expect(rejection({ cmd: "/".repeat(5000) }).details).toBe("start.process.cmd must be at most 4096 bytes");
  });
});
