import { errors } from "@wrenn/shared";
import type { StartProcessRequest, StartProcessResponse } from "@wrenn/gen/wrenn/api/v1/process.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";
import { checkProcessConfig } from "./process-limits.js";

/**
 * Relays envd's Start stream. Iterating the host's stream one event at a time
 * and yielding it gives back-pressure end to end: we read the next event only
 * once the caller took the last. The caller's signal cancels the host call.
 */
export function startProcessHandler(resolve: RelayResolver) {
  return async function* startProcess(
    request: StartProcessRequest,
    context: CallerContext,
  ): AsyncGenerator<StartProcessResponse, void> {
    const sandboxId = sandboxIdOf(request.sandboxId);
    if (!request.start) throw errors.invalidArgument("start is required");
    if (!request.start.process?.cmd) throw errors.invalidArgument("start.process.cmd is required");
    checkProcessConfig(request.start.process);
    const target = await resolve(principalOf(context), sandboxId);
    const events = target.connection.process.start(request.start, { metadata: target.metadata, signal: context.signal });
    for await (const response of events) {
      yield { event: response.event };
    }
  };
}
