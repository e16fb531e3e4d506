import type { ConnectProcessRequest, ConnectProcessResponse } from "@wrenn/gen/wrenn/api/v1/process.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";
import { requireSelector } from "./selector.js";

/**
 * Relays envd's Connect stream one event at a time, like StartProcess. The
 * caller going away detaches from the process; it keeps running.
 */
export function connectProcessHandler(resolve: RelayResolver) {
  return async function* connectProcess(request: ConnectProcessRequest, context: CallerContext): AsyncGenerator<ConnectProcessResponse, void> {
    const process = requireSelector(request.process);
    const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
    const events = target.connection.process.connect({ process }, { metadata: target.metadata, signal: context.signal });
    for await (const response of events) yield { event: response.event };
  };
}
