import { toWireId } from "@wrenn/shared";
import { BuildStatus, type Build, type BuildEvent, type Template } from "@wrenn/gen/wrenn/api/v1/template.js";
import type { BuildEvent as StoredEvent, BuildRecord, BuildStatus as DbStatus } from "../../templates/build.js";

const statusToApi: Record<DbStatus, BuildStatus> = {
  queued: BuildStatus.BUILD_STATUS_QUEUED,
  running: BuildStatus.BUILD_STATUS_RUNNING,
  succeeded: BuildStatus.BUILD_STATUS_SUCCEEDED,
  failed: BuildStatus.BUILD_STATUS_FAILED,
  cancelled: BuildStatus.BUILD_STATUS_CANCELLED,
};

export function buildToApi(b: BuildRecord): Build {
  return {
    buildId: toWireId("bld", b.id),
    teamId: b.teamId ? toWireId("team", b.teamId) : "",
    name: `${b.name}:${b.tag}`,
    status: statusToApi[b.status],
    error: b.error,
    failedLine: b.failedLine,
    stepsTotal: b.stepsTotal,
    stepsDone: b.stepsDone,
    stepsCached: b.stepsCached,
    templateId: b.templateId ? toWireId("tpl", b.templateId) : "",
    hostId: b.hostId ? toWireId("host", b.hostId) : "",
    archiveSha256: b.archiveSha256,
    archiveBytes: b.archiveBytes,
    createdAt: b.createdAt,
    startedAt: b.startedAt ?? undefined,
    finishedAt: b.finishedAt ?? undefined,
    resources: { ...b.resources },
    platform: b.platform,
    recipe: b.recipe,
  };
}

/**
 * A stored event as the public message. The ended event carries the
 * template made, looked up by the caller (`template`), since the row is
 * newer than the event's text.
 */
export function eventToApi(event: StoredEvent, template?: Template): BuildEvent {
  const body = event.body;
  const out: BuildEvent = { seq: event.seq, at: event.at };
  if ("phase" in body) out.phase = body.phase;
  else if ("stepStarted" in body) out.stepStarted = body.stepStarted;
  else if ("stepOutput" in body) out.stepOutput = body.stepOutput;
  else if ("stepFinished" in body) out.stepFinished = body.stepFinished;
  else if ("stepFailed" in body) out.stepFailed = body.stepFailed;
  else if ("ended" in body) out.ended = { status: statusToApi[body.ended.status], error: body.ended.error, template };
  return out;
}
