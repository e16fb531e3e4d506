import { shellInGuest } from "./shell-command.js";
import { StepError, type StepContext } from "./step-context.js";

/** RUN: `/bin/sh -c command` as the current user, in the workdir, with the env; output streamed as events. */
export async function runStep(ctx: StepContext, command: string): Promise<void> {
  const exit = await shellInGuest(ctx, command, ctx.timeoutMs, (stream, bytes) => ctx.output.write(stream, bytes));
  ctx.output.end();
  if (exit.problem === "timed out") throw new StepError(`timed out after ${Math.round(ctx.timeoutMs / 1000)} s`, ctx.output.outputTail());
  if (exit.problem !== "") throw new StepError(exit.problem, ctx.output.outputTail());
  if (exit.exitCode !== 0) throw new StepError(`exit code ${exit.exitCode}`, ctx.output.outputTail());
}
