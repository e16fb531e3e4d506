import { errors } from "@wrenn/shared";
import type { KillRequest, KillResponse } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { EnvdDeps } from "../deps.js";

/** "1234" kills pid 1234; anything else kills every process with that tag. */
export function createKillHandler(deps: EnvdDeps) {
  return async (request: KillRequest): Promise<KillResponse> => {
    const selector = request.selector.trim();
    if (!selector) throw errors.invalidArgument("selector is required: a pid or a tag");
    const procs = deps.registry.select(/^\d+$/.test(selector) ? { pid: Number(selector) } : { tag: selector });
    for (const p of procs) p.signalGroup("SIGKILL");
    deps.logger.info({ pids: procs.map((p) => p.pid), selector }, "killed");
    return { pids: procs.map((p) => p.pid) };
  };
}
