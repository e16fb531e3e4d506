import { errors } from "@wrenn/shared";
import type { StartResponse } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { LongCall } from "../../lifecycle/lifecycle.js";
import type { ManagedProcess } from "../../process/process-spec.js";
import { toEvent } from "./to-event.js";

/** Start and Connect share this: events of one attachment, UNAVAILABLE when a restore dropped it. */
export async function* streamProcess(
  proc: ManagedProcess,
  call: LongCall,
  options: { killOnDetach: boolean; keepaliveMs: number },
): AsyncGenerator<StartResponse> {
  for await (const output of proc.attach({ signal: call.signal, ...options })) {
    yield { event: toEvent(output) };
  }
  if (call.dropped) throw errors.unavailable("the sandbox was restored from a snapshot; reconnect");
}
