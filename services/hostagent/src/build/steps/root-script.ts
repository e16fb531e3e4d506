import { runInGuest } from "../guest-process.js";
import { StepError, type StepContext } from "./step-context.js";

/**
 * Runs a shell script as root for the builder's own work in the guest
 * (creating users, directories, fixing ownership). Values go in as
 * positional parameters ($1, $2, …) or quoted with `shellQuote`. The script
 * goes in on stdin (`sh -s`): one argument may hold at most 128 KiB.
 */
export async function rootScript(ctx: StepContext, what: string, script: string, args: string[] = []): Promise<string> {
  let out = "";
  const exit = await runInGuest(
    ctx.envd,
    {
      cmd: "/bin/sh",
      args: ["-s", "--", ...args],
      user: "root",
      cwd: "/",
      stdin: Buffer.from(script),
      timeoutMs: ctx.timeoutMs,
      onOutput: (_stream, bytes) => {
        if (out.length < 8192) out += Buffer.from(bytes).toString("utf8");
      },
    },
    ctx.signal,
  );
  if (exit.exitCode !== 0 || exit.problem !== "") {
    throw new StepError(`${what} failed: ${exit.problem || `exit code ${exit.exitCode}`}`, out.trim());
  }
  return out;
}

/** `value` as one single-quoted shell word. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}
