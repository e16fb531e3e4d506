import { BuildState, type BuildEvent as WireEvent } from "@wrenn/gen/wrenn/hostagent/v1/build.js";
import type { BuildEvent, BuildStateName } from "../../build/build-events.js";
import { toTemplate } from "../sandbox/to-template.js";

const wireState: Record<BuildStateName, BuildState> = {
  queued: BuildState.BUILD_STATE_QUEUED,
  running: BuildState.BUILD_STATE_RUNNING,
  succeeded: BuildState.BUILD_STATE_SUCCEEDED,
  failed: BuildState.BUILD_STATE_FAILED,
  cancelled: BuildState.BUILD_STATE_CANCELLED,
};

export function toWireState(state: BuildStateName): BuildState {
  return wireState[state];
}

/** Domain build event → build.proto's BuildEvent. */
export function toWireEvent(event: BuildEvent): WireEvent {
  const { seq, at, body } = event;
  const wire: WireEvent = { seq, at };
  switch (body.kind) {
    case "phase":
      return { ...wire, phase: { phase: body.phase, detail: body.detail } };
    case "stepStarted":
      return { ...wire, stepStarted: { step: body.step, line: body.line, instruction: body.instruction, cached: body.cached } };
    case "stepOutput":
      return { ...wire, stepOutput: { step: body.step, stream: body.stream, text: body.text } };
    case "stepFinished":
      return { ...wire, stepFinished: { step: body.step, durationMs: body.durationMs, cached: body.cached } };
    case "stepFailed":
      return { ...wire, stepFailed: { step: body.step, line: body.line, reason: body.reason, outputTail: body.outputTail } };
    case "ended":
      return { ...wire, ended: { state: wireState[body.state], error: body.error, template: body.template ? toTemplate(body.template) : undefined } };
  }
}
