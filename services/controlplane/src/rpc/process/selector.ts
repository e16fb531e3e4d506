import { errors } from "@wrenn/shared";
import type { ProcessSelector } from "@wrenn/gen/wrenn/envd/v1/process.js";

/**
 * A process is named by pid or by tag; envd judges whether it exists. Here
 * we only refuse what can never name one, before a host is bothered.
 */
export function requireSelector(selector: ProcessSelector | undefined, field = "process"): ProcessSelector {
  if (selector?.pid !== undefined) {
    if (selector.pid === 0) throw errors.invalidArgument(`${field}.pid must be a positive number`);
    return { pid: selector.pid };
  }
  if (selector?.tag !== undefined) {
    if (!selector.tag) throw errors.invalidArgument(`${field}.tag must not be empty`);
    return { tag: selector.tag };
  }
  throw errors.invalidArgument(`${field} is required: give its pid or its tag`);
}
