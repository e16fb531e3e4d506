import { CommandError, runCommand } from "@wrenn/shared";

/** A fixed PATH, and the C locale so the stderr text isMissing matches is English. */
const env = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" };

/**
 * Runs a networking command (ip, tc, nft, sh) and resolves with its stdout.
 * Not cancellable on purpose: a half-applied network step is worse than a
 * slightly late abort, so callers check their signal between steps.
 */
export async function netCommand(argv: string[], input?: string): Promise<string> {
  return (await runCommand(argv, { env, input })).stdout;
}

/** Runs a shell script with `set -e`, inside a network namespace when one is named. */
export function runScript(script: string, netns?: string): Promise<string> {
  const shell = ["/bin/sh", "-ec", script];
  return netCommand(netns ? ["ip", "netns", "exec", netns, ...shell] : shell);
}

/** ip and nft fail with "No such file or directory" (and the like) when removing what is gone; release treats that as done. */
export function isMissing(err: unknown): boolean {
  return err instanceof CommandError && /No such file or directory|does not exist|Cannot find device|Invalid argument.*netns/i.test(err.stderr);
}
