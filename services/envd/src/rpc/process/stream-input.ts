import type { CallContext } from "nice-grpc";
import { errors } from "@wrenn/shared";
import type { StreamInputRequest, StreamInputResponse } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { ManagedProcess } from "../../process/process-spec.js";
import type { EnvdDeps } from "../deps.js";
import { toSelector } from "./to-event.js";

/**
 * Interactive input over one stream: no RPC per keystroke. When the process
 * is not reading, the stream is not read either (back-pressure to the client).
 */
export function createStreamInputHandler(deps: EnvdDeps) {
  return async (requests: AsyncIterable<StreamInputRequest>, context: CallContext): Promise<StreamInputResponse> => {
    const call = deps.lifecycle.beginLongCall(context.signal);
    let proc: ManagedProcess | undefined;
    try {
      for await (const request of requests) {
        proc ??= deps.registry.selectOne(toSelector(request.process));
        proc.input.write(request.data);
        await proc.input.ready(call.signal);
        if (call.dropped) throw errors.unavailable("the sandbox was restored from a snapshot; reconnect");
        if (call.signal.aborted) break;
      }
      if (!proc) throw errors.invalidArgument("the first message must select a process");
      return {};
    } finally {
      call.end();
    }
  };
}
