import type { CallContext } from "nice-grpc";
import { SandboxEventType, type WatchEventsRequest, type WatchEventsResponse } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { SandboxEventType as DomainType } from "../../sandbox/sandbox-events.js";
import type { SandboxManager } from "../../sandbox/sandbox-manager.js";

const wireType: Record<DomainType, SandboxEventType> = {
  "auto-paused": SandboxEventType.SANDBOX_EVENT_TYPE_AUTO_PAUSED,
  "ttl-killed": SandboxEventType.SANDBOX_EVENT_TYPE_TTL_KILLED,
  exited: SandboxEventType.SANDBOX_EVENT_TYPE_EXITED,
  lost: SandboxEventType.SANDBOX_EVENT_TYPE_LOST,
  "resume-failed": SandboxEventType.SANDBOX_EVENT_TYPE_RESUME_FAILED,
};

/** WatchEvents: a server stream that lasts until the caller cancels. */
export function watchEventsHandler(manager: SandboxManager) {
  return async function* (request: WatchEventsRequest, context: CallContext): AsyncIterable<WatchEventsResponse> {
    for await (const event of manager.events.watch(context.signal, { includeRecent: request.includeRecent })) {
      yield { event: { type: wireType[event.type], sandboxId: event.sandboxId, at: event.at, detail: event.detail } };
    }
  };
}
