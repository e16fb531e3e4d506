import { setTimeout as sleep } from "node:timers/promises";
import { StepOutput } from "../step-output.js";
import { shellInGuest } from "./shell-command.js";
import { StepError, type StepContext } from "./step-context.js";

const retryMs = 250;

/**
 * READY: the check is run every 250 ms (as the current user, in the workdir)
 * until it exits 0 or the step timeout passes. Only the last attempt's
 * output is reported (a failure's tail), not every retry's.
 */
export async function readyStep(ctx: StepContext, command: string): Promise<void> {
  const deadline = performance.now() + ctx.timeoutMs;
  let attempts = 0;
  let last = "";
  while (true) {
    attempts += 1;
    const output = new StepOutput(() => {});
    const timeoutMs = Math.max(1000, Math.round(deadline - performance.now()));
    const exit = await shellInGuest(ctx, command, timeoutMs, (stream, bytes) => output.write(stream, bytes));
    output.end();
    last = output.outputTail();
    if (exit.exitCode === 0 && exit.problem === "") {
      ctx.output.write("stdout", Buffer.from(`ready after ${attempts} attempt(s)\n`));
      return;
    }
    if (performance.now() + retryMs >= deadline) {
      throw new StepError(`not ready after ${Math.round(ctx.timeoutMs / 1000)} s (${attempts} attempts; last: ${exit.problem || `exit code ${exit.exitCode}`})`, last);
    }
    await sleep(retryMs, undefined, { signal: ctx.signal });
  }
}
