import { errors, ServerError, type Logger } from "@wrenn/shared";
import { SandboxStartError } from "../runtime/runtime.js";

export interface FailureContext {
  signal: AbortSignal;
  timeout: AbortSignal;
  starting: AbortSignal;
  timeoutSeconds: number;
  sandboxId: string;
  logger: Logger;
}

/** Maps why a create failed to a status the caller can act on, without internals. */
export function createFailure(err: unknown, ctx: FailureContext): unknown {
  const exit = err instanceof SandboxStartError ? err.exit : ctx.starting.reason instanceof SandboxStartError ? ctx.starting.reason.exit : undefined;
  if (exit !== undefined || err instanceof SandboxStartError) {
    ctx.logger.error({ sandboxId: ctx.sandboxId, code: exit?.code, signal: exit?.signal, outputTail: exit?.outputTail.slice(-2000), err }, "sandbox failed to start");
    if (exit === undefined) return errors.internal(`sandbox ${ctx.sandboxId} failed to start`);
    const how = exit.code != null ? `exit code ${exit.code}` : `signal ${exit.signal ?? "unknown"}`;
    return errors.internal(`sandbox ${ctx.sandboxId} failed to start: its process exited (${how})`);
  }
  if (ctx.signal.aborted) return err; // the caller went away: nice-grpc reports CANCELLED
  // Whatever failed after the start timeout fired failed because of it.
  if (ctx.timeout.aborted) return errors.deadlineExceeded(`sandbox ${ctx.sandboxId} did not become ready within ${ctx.timeoutSeconds} s`);
  if (err instanceof ServerError) return err; // our own typed errors (ALREADY_EXISTS, NOT_FOUND, …)
  ctx.logger.error({ err, sandboxId: ctx.sandboxId }, "sandbox start failed");
  return errors.internal(`sandbox ${ctx.sandboxId} failed to start`);
}
