import { spawn } from "node:child_process";

export class CommandError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = "CommandError";
  }
}

/**
 * Runs a networking command (ip, tc, nft, sh) and resolves with its stdout.
 * Not cancellable on purpose: a half-applied network step is worse than a
 * slightly late abort, so callers check their signal between steps.
 */
export function runCommand(argv: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ["pipe", "pipe", "pipe"],
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
    child.once("error", (err) => reject(new CommandError(`${argv[0]}: ${err.message}`, "")));
    child.once("close", (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new CommandError(`${argv.slice(0, 3).join(" ")} failed (${code ?? signal}): ${stderr.trim().slice(-500)}`, stderr));
    });
  });
}

/** Runs a shell script with `set -e`, inside a network namespace when one is named. */
export function runScript(script: string, netns?: string): Promise<string> {
  const shell = ["/bin/sh", "-ec", script];
  return runCommand(netns ? ["ip", "netns", "exec", netns, ...shell] : shell);
}

/** nft rejects "No such file or directory" when deleting what is gone; release treats that as done. */
export function isMissing(err: unknown): boolean {
  return err instanceof CommandError && /No such file or directory|does not exist|Cannot find device|Invalid argument.*netns/i.test(err.stderr);
}
