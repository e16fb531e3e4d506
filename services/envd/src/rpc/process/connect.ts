import type { CallContext } from "nice-grpc";
import type { ConnectRequest, ConnectResponse } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { EnvdDeps } from "../deps.js";
import { streamProcess } from "./stream-process.js";
import { toSelector } from "./to-event.js";

/** Re-attaches to a running process; leaving again never kills it. */
export function createConnectHandler(deps: EnvdDeps) {
  return async function* connect(request: ConnectRequest, context: CallContext): AsyncGenerator<ConnectResponse> {
    const proc = deps.registry.selectOne(toSelector(request.process));
    const call = deps.lifecycle.beginLongCall(context.signal);
    try {
      yield* streamProcess(proc, call, { killOnDetach: false, keepaliveMs: deps.keepaliveMs });
    } finally {
      call.end();
    }
  };
}
