import type { CallContext } from "nice-grpc";
import { errors } from "@wrenn/shared";
import type { StartRequest, StartResponse } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { startManagedProcess } from "../../process/managed-process.js";
import { prepareProcess } from "../../process/prepare-process.js";
import type { EnvdDeps } from "../deps.js";
import { streamProcess } from "./stream-process.js";

/**
 * Problems found before the process exists (unknown user, bad cwd, missing
 * command, bad PTY size) end the call with a status and no events. Once
 * `start` is sent, the stream ends with exactly one `end` event, unless the
 * caller leaves first: a foreground process is then killed, a background
 * one keeps running for Connect.
 */
export function createStartHandler(deps: EnvdDeps) {
  return async function* start(request: StartRequest, context: CallContext): AsyncGenerator<StartResponse> {
    const config = request.process;
    if (!config) throw errors.invalidArgument("process is required");
    const spec = prepareProcess(
      {
        cmd: config.cmd,
        args: config.args,
        envs: config.envs,
        cwd: config.cwd,
        user: config.user,
        tag: request.tag,
        stdin: request.stdin,
        timeoutMs: request.timeoutMs,
        background: request.background,
        keepStdinOpen: request.keepStdinOpen,
        pty: request.pty,
      },
      deps.metadata,
      deps.resolveActor,
    );
    const call = deps.lifecycle.beginLongCall(context.signal);
    try {
      const proc = await startManagedProcess(spec, deps.runtime);
      // A PTY session outlives its client like a background process; the idle timer reaps it.
      yield* streamProcess(proc, call, { killOnDetach: !spec.background && !spec.pty, keepaliveMs: deps.keepaliveMs });
    } finally {
      call.end();
    }
  };
}
