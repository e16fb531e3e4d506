import { startInGuest } from "../guest-process.js";
import { startTag } from "../build-vars.js";
import { StepError, type StepContext } from "./step-context.js";

/** START: a background process as the current user (tagged build-start-<step>) that the template's snapshot keeps running. */
export async function startStep(ctx: StepContext, command: string): Promise<void> {
  try {
    await startInGuest(
      ctx.envd,
      { cmd: "/bin/sh", args: ["-c", command], user: ctx.vars.user, cwd: ctx.vars.workdir, envs: ctx.vars.envs, timeoutMs: 0, tag: startTag(ctx.step) },
      ctx.signal,
    );
  } catch (err) {
    ctx.signal.throwIfAborted();
    throw new StepError(`could not start: ${err instanceof Error ? err.message : String(err)}`);
  }
}
