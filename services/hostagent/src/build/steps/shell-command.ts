import { runInGuest, type GuestExit } from "../guest-process.js";
import type { StepContext } from "./step-context.js";

/**
 * `/bin/sh -c command` in the build sandbox as the recipe's current user, in
 * its workdir, with its env: how RUN and READY both run what the recipe says.
 */
export function shellInGuest(
  ctx: StepContext,
  command: string,
  timeoutMs: number,
  onOutput: (stream: "stdout" | "stderr", bytes: Uint8Array) => void,
): Promise<GuestExit> {
  return runInGuest(
    ctx.envd,
    { cmd: "/bin/sh", args: ["-c", command], user: ctx.vars.user, cwd: ctx.vars.workdir, envs: ctx.vars.envs, timeoutMs, onOutput },
    ctx.signal,
  );
}
