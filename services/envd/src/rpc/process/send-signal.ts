import { errors } from "@wrenn/shared";
import { Signal, type SendSignalRequest, type SendSignalResponse } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { EnvdDeps } from "../deps.js";
import { toSelector } from "./to-event.js";

const signals: Partial<Record<number, NodeJS.Signals>> = {
  [Signal.SIGNAL_HUP]: "SIGHUP",
  [Signal.SIGNAL_INT]: "SIGINT",
  [Signal.SIGNAL_KILL]: "SIGKILL",
  [Signal.SIGNAL_TERM]: "SIGTERM",
};

/** Signals the group of every process the selector names (all of a tag's). */
export function createSendSignalHandler(deps: EnvdDeps) {
  return async (request: SendSignalRequest): Promise<SendSignalResponse> => {
    const sig = signals[request.signal];
    if (!sig) throw errors.invalidArgument(`signal ${request.signal} is not supported; use SIGNAL_TERM, SIGNAL_KILL, SIGNAL_INT or SIGNAL_HUP`);
    const procs = deps.registry.select(toSelector(request.process));
    for (const p of procs) p.signalGroup(sig);
    deps.logger.info({ pids: procs.map((p) => p.pid), signal: sig }, "signalled");
    return { pids: procs.map((p) => p.pid) };
  };
}
