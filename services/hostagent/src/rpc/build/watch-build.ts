import type { CallContext } from "nice-grpc";
import type { WatchBuildRequest, WatchBuildResponse } from "@wrenn/gen/wrenn/hostagent/v1/build.js";
import type { Builder } from "../../build/builder.js";
import { toWireEvent } from "./to-wire.js";

/** WatchBuild: events after after_seq, then live ones; the stream ends after the build's last event. */
export function watchBuildHandler(builder: Builder) {
  return async function* (request: WatchBuildRequest, context: CallContext): AsyncIterable<WatchBuildResponse> {
    const events = builder.watch(request.buildId, request.afterSeq, context.signal);
    for await (const event of events) yield { event: toWireEvent(event) };
  };
}
