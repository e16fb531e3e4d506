import type { ProcessEvent, ProcessSelector as WireSelector } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { errors } from "@wrenn/shared";
import type { ProcessOutput } from "../../process/process-spec.js";
import type { Selector } from "../../process/registry.js";

export function toEvent(output: ProcessOutput): ProcessEvent {
  switch (output.type) {
    case "start":
      return { start: { pid: output.pid, tag: output.tag } };
    case "stdout":
      return { data: { stdout: output.data } };
    case "stderr":
      return { data: { stderr: output.data } };
    case "pty":
      return { data: { pty: output.data } };
    case "truncated":
      return { truncated: { droppedBytes: output.droppedBytes } };
    case "keepalive":
      return { keepalive: {} };
    case "end":
      return {
        end: {
          exitCode: output.exitCode,
          exited: output.exited,
          signal: output.signal,
          error: output.error,
          timedOut: output.timedOut,
        },
      };
  }
}

/** A wire selector as a registry selector; an empty one is INVALID_ARGUMENT. */
export function toSelector(selector: WireSelector | undefined): Selector {
  if (selector?.pid !== undefined) {
    if (selector.pid <= 0) throw errors.invalidArgument("process.pid must be positive");
    return { pid: selector.pid };
  }
  if (selector?.tag !== undefined) {
    if (!selector.tag) throw errors.invalidArgument("process.tag must not be empty");
    return { tag: selector.tag };
  }
  throw errors.invalidArgument("process selector is required: set pid or tag");
}
