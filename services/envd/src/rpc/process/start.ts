import type { CallContext } from "nice-grpc";
import { errors } from "@wrenn/shared";
import type { StartRequest, StartResponse } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { prepareProcess } from "../../process/prepare-process.js";
import type { ProcessOutput } from "../../process/process-spec.js";
import { runProcess } from "../../process/run-process.js";
import type { EnvdDeps } from "../deps.js";

/**
 * Problems found before the process exists (unknown user, bad cwd, missing
 * command) end the call with a status and no events. Once `start` is sent,
 * the stream always ends with exactly one `end` event.
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
      },
      deps.metadata,
      deps.resolveActor,
    );
    for await (const output of runProcess(spec, { registry: deps.registry, logger: deps.logger, signal: context.signal })) {
      yield { event: toEvent(output) };
    }
  };
}

function toEvent(output: ProcessOutput): StartResponse["event"] {
  switch (output.type) {
    case "start":
      return { start: { pid: output.pid, tag: output.tag } };
    case "stdout":
      return { data: { stdout: output.data } };
    case "stderr":
      return { data: { stderr: output.data } };
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
