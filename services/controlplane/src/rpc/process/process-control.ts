import { errors } from "@wrenn/shared";
import { Signal } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type {
  KillProcessRequest,
  KillProcessResponse,
  SignalProcessRequest,
  SignalProcessResponse,
  UpdateProcessRequest,
  UpdateProcessResponse,
} from "@wrenn/gen/wrenn/api/v1/process.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";
import { requireSelector } from "./selector.js";

const knownSignals = new Set(Object.values(Signal).filter((v): v is number => typeof v === "number" && v > 0));

export function signalProcessHandler(resolve: RelayResolver) {
  return async function signalProcess(request: SignalProcessRequest, context: CallerContext): Promise<SignalProcessResponse> {
    const process = requireSelector(request.process);
    if (!knownSignals.has(request.signal)) {
      throw errors.invalidArgument("signal must be one of SIGNAL_HUP, SIGNAL_INT, SIGNAL_TERM, SIGNAL_KILL");
    }
    const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
    const response = await target.connection.process.sendSignal({ process, signal: request.signal }, { metadata: target.metadata, signal: context.signal });
    return { pids: response.pids };
  };
}

export function killProcessHandler(resolve: RelayResolver) {
  return async function killProcess(request: KillProcessRequest, context: CallerContext): Promise<KillProcessResponse> {
    if (!request.selector) throw errors.invalidArgument("selector is required: a pid or a tag");
    const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
    const response = await target.connection.process.kill({ selector: request.selector }, { metadata: target.metadata, signal: context.signal });
    return { pids: response.pids };
  };
}

export function updateProcessHandler(resolve: RelayResolver) {
  return async function updateProcess(request: UpdateProcessRequest, context: CallerContext): Promise<UpdateProcessResponse> {
    const process = requireSelector(request.process);
    if (!request.pty) throw errors.invalidArgument("pty is required: the new terminal size");
    if (request.pty.rows === 0 || request.pty.cols === 0) throw errors.invalidArgument("pty.rows and pty.cols must be positive");
    const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
    await target.connection.process.update({ process, pty: request.pty }, { metadata: target.metadata, signal: context.signal });
    return {};
  };
}
