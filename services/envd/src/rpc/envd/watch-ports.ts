import type { CallContext } from "nice-grpc";
import { errors } from "@wrenn/shared";
import type { WatchPortsRequest, WatchPortsResponse } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import { createEventQueue } from "../../process/event-queue.js";
import type { PortChange } from "../../ports/port-scanner.js";
import type { EnvdDeps } from "../deps.js";

/** Every current listener as opened, then changes as the scanner sees them. */
export function createWatchPortsHandler(deps: EnvdDeps) {
  return async function* watchPorts(_request: WatchPortsRequest, context: CallContext): AsyncGenerator<WatchPortsResponse> {
    const call = deps.lifecycle.beginLongCall(context.signal);
    // Port changes are tiny and rare; the queue never pauses anything.
    const queue = createEventQueue<PortChange>({ highWaterBytes: Infinity, lowWaterBytes: 0, onPause() {}, onResume() {} });
    const unsubscribe = deps.ports.subscribe((changes) => {
      for (const c of changes) queue.push(c, 1);
    });
    const onAbort = () => queue.discard();
    call.signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (const p of deps.ports.current()) yield { opened: { address: p.address, port: p.port, forwarded: p.forwarded } };
      for (;;) {
        const next = await queue.next(deps.keepaliveMs);
        if (next === "closed" || call.signal.aborted) break;
        if (next === "timeout") {
          yield { keepalive: {} };
          continue;
        }
        const port = { address: next.item.port.address, port: next.item.port.port, forwarded: next.item.port.forwarded };
        yield next.item.type === "opened" ? { opened: port } : { closed: port };
      }
      if (call.dropped) throw errors.unavailable("the sandbox was restored from a snapshot; reconnect");
    } finally {
      call.signal.removeEventListener("abort", onAbort);
      unsubscribe();
      queue.discard();
      call.end();
    }
  };
}
