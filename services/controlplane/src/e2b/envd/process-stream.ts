import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { ConnectRequest, StartRequest } from "@wrenn/gen/e2b/process/process_pb.js";
import type { ProcessEvent as WrennEvent } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { PublicEnvdClients } from "./envd-calls.js";
import { envdCallerOf, publicCallOptions, toConnectError } from "./process-calls.js";
import { keepaliveEvent, toE2bEvent, type E2bEvent } from "./process-events.js";
import { keepaliveIntervalMs, withKeepalives } from "./process-keepalive.js";
import { toWrennSelector } from "./process-selector.js";

/** A Wrenn event stream as E2B's: mapped, with keepalives while it is quiet, errors as ConnectErrors. */
async function* relayEvents(
  events: AsyncIterable<{ event?: WrennEvent | undefined }>,
  context: HandlerContext,
): AsyncGenerator<{ event: E2bEvent }, void> {
  const mapped = (async function* () {
    try {
      for await (const { event } of events) {
        const e2b = toE2bEvent(event);
        if (!e2b) continue;
        yield { event: e2b };
      }
    } catch (err) {
      throw toConnectError(err, context);
    }
  })();
  yield* withKeepalives(mapped, keepaliveIntervalMs(context), () => ({ event: keepaliveEvent }));
}

/**
 * E2B's Start. An E2B process belongs to the sandbox, not to the stream: it
 * keeps running when the SDK goes away (commands.list and connect find it),
 * so Wrenn starts every one in the background. Its lifetime is the call's
 * deadline (Connect-Timeout-Ms, the SDK's timeoutMs, 60 s by default; none
 * when the SDK passes 0): past it E2B's envd kills the process, and so does
 * Wrenn's (envd's timeout_ms, the same value), while Connect ends the stream
 * with deadline_exceeded (the SDK's TimeoutError; its own timer fires first).
 */
export function startHandler(clients: PublicEnvdClients) {
  return async function* start(request: StartRequest, context: HandlerContext): AsyncGenerator<{ event: E2bEvent }, void> {
    const caller = envdCallerOf(context);
    const config = request.process;
    if (!config || config.cmd === "") throw new ConnectError("process.cmd is required", Code.InvalidArgument);
    const deadlineMs = context.timeoutMs();
    const size = request.pty?.size;
    const events = clients.process.startProcess(
      {
        sandboxId: caller.sandboxId,
        start: {
          process: { cmd: config.cmd, args: config.args, envs: config.envs, cwd: config.cwd, user: caller.user },
          tag: request.tag,
          // 0 is "no limit" to envd: a deadline already due still gets one.
          timeoutMs: deadlineMs === undefined ? 0 : Math.max(1, deadlineMs),
          background: true,
          keepStdinOpen: request.stdin === true || request.pty !== undefined,
          pty: request.pty ? { rows: size?.rows ?? 0, cols: size?.cols ?? 0 } : undefined,
        },
      },
      publicCallOptions(caller, context),
    );
    yield* relayEvents(events, context);
  };
}

/** E2B's Connect: re-attaches by pid or tag; Wrenn replays the output buffered since the start first. Its deadline ends only the stream. */
export function connectHandler(clients: PublicEnvdClients) {
  return async function* connect(request: ConnectRequest, context: HandlerContext): AsyncGenerator<{ event: E2bEvent }, void> {
    const caller = envdCallerOf(context);
    const process = toWrennSelector(request.process);
    const events = clients.process.connectProcess({ sandboxId: caller.sandboxId, process }, publicCallOptions(caller, context));
    yield* relayEvents(events, context);
  };
}
