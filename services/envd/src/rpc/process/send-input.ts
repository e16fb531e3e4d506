import type { SendInputRequest, SendInputResponse } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { EnvdDeps } from "../deps.js";
import { toSelector } from "./to-event.js";

/** Queues input (merged with other pending input) and returns; closed stdin → FAILED_PRECONDITION. */
export function createSendInputHandler(deps: EnvdDeps) {
  return async (request: SendInputRequest): Promise<SendInputResponse> => {
    const proc = deps.registry.selectOne(toSelector(request.process));
    proc.input.write(request.data);
    return {};
  };
}
