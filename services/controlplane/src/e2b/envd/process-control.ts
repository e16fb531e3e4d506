import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { Signal as E2bSignal, type SendSignalRequest, type UpdateRequest } from "@wrenn/gen/e2b/process/process_pb.js";
import { Signal } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { PublicEnvdClients } from "./envd-calls.js";
import { envdCallerOf, publicCallOptions, relayUnary } from "./process-calls.js";
import { toWrennSelector } from "./process-selector.js";

/** The tag envd gives a process started without one; E2B's processes have none then, so List leaves it out. */
const defaultTag = /^proc-[0-9a-f]{8}$/;

/** E2B's List: every process envd runs, its config as E2B knows it (Wrenn keeps no envs per process, so they list empty). */
export function listHandler(clients: PublicEnvdClients) {
  return async function list(_request: unknown, context: HandlerContext) {
    const caller = envdCallerOf(context);
    const listed = await relayUnary(context, () => clients.process.listProcesses({ sandboxId: caller.sandboxId }, publicCallOptions(caller, context)));
    return {
      processes: listed.processes.map((p) => ({
        pid: p.pid,
        tag: p.tag === "" || defaultTag.test(p.tag) ? undefined : p.tag,
        config: { cmd: p.cmd, args: p.args, envs: {}, cwd: p.cwd === "" ? undefined : p.cwd },
      })),
    };
  };
}

const signals: Partial<Record<E2bSignal, Signal>> = {
  [E2bSignal.SIGKILL]: Signal.SIGNAL_KILL,
  [E2bSignal.SIGTERM]: Signal.SIGNAL_TERM,
};

/** E2B's SendSignal: SIGKILL or SIGTERM to the process's group; an unknown pid is NotFound (the SDK's kill() then answers false). */
export function sendSignalHandler(clients: PublicEnvdClients) {
  return async function sendSignal(request: SendSignalRequest, context: HandlerContext) {
    const caller = envdCallerOf(context);
    const process = toWrennSelector(request.process);
    const signal = signals[request.signal];
    if (signal === undefined) throw new ConnectError("signal must be SIGNAL_SIGKILL or SIGNAL_SIGTERM", Code.InvalidArgument);
    await relayUnary(context, () => clients.process.signalProcess({ sandboxId: caller.sandboxId, process, signal }, publicCallOptions(caller, context)));
    return {};
  };
}

/** E2B's Update: a PTY resize. Without a size there is nothing to change, as in E2B's envd. */
export function updateHandler(clients: PublicEnvdClients) {
  return async function update(request: UpdateRequest, context: HandlerContext) {
    const caller = envdCallerOf(context);
    const process = toWrennSelector(request.process);
    const size = request.pty?.size;
    if (!size) return {};
    await relayUnary(context, () =>
      clients.process.updateProcess({ sandboxId: caller.sandboxId, process, pty: { rows: size.rows, cols: size.cols } }, publicCallOptions(caller, context)),
    );
    return {};
  };
}
