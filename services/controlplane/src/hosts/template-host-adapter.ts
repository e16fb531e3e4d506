import { ClientError, Status } from "nice-grpc";
import { errors, hasGrpcStatus, toWireId } from "@wrenn/shared";
import type { Template as HostTemplate } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { BuildState, type BuildEvent as HostEvent, type StartBuildRequest } from "@wrenn/gen/wrenn/hostagent/v1/build.js";
import type { HostBuildEvent, HostBuildEventBody, HostTemplateInfo } from "../templates/build.js";
import type { HostBuildSpec, TemplateHost } from "../templates/template-host.js";
import type { HostConnection } from "./host-connection.js";

const controlTimeoutMs = 15_000;
/** A snapshot writes the guest's memory and disk: minutes under TCG. */
const snapshotTimeoutMs = 10 * 60_000;
/** Frames of the archive sent to the host (its messages may be 16 MiB; small frames keep memory flat). */
const archiveFrameBytes = 1024 * 1024;

/** The template half of a host agent, over its generated clients (sandbox ids converted here). */
export function createTemplateHost(connection: HostConnection): TemplateHost {
  const { sandboxes, builds } = connection;
  const timed = (ms: number) => ({ signal: AbortSignal.timeout(ms) });

  return {
    async listTemplates() {
      const response = await sandboxes.listTemplates({}, timed(controlTimeoutMs)).catch(rethrow("template list", connection));
      return response.templates.map(templateInfo);
    },

    async createTemplate({ sandboxId, templateId }) {
      const response = await sandboxes
        .createTemplate({ sandboxId: toWireId("sb", sandboxId), templateId, pauseSource: false }, timed(snapshotTimeoutMs))
        .catch(rethrow("snapshot", connection));
      if (!response.template) throw errors.internal("the host agent answered a snapshot without its template");
      return templateInfo(response.template);
    },

    async deleteTemplate(templateId) {
      try {
        await sandboxes.deleteTemplate({ templateId }, timed(controlTimeoutMs));
        return "deleted";
      } catch (err) {
        if (hasGrpcStatus(err) && err.code === Status.NOT_FOUND) return "not-found";
        throw rethrow("template delete", connection)(err);
      }
    },

    async startBuild(spec: HostBuildSpec, archive, signal) {
      async function* requests(): AsyncGenerator<StartBuildRequest> {
        yield { spec };
        for await (const chunk of archive) {
          for (let at = 0; at < chunk.length; at += archiveFrameBytes) {
            yield { archiveChunk: Buffer.from(chunk.subarray(at, at + archiveFrameBytes)) };
          }
        }
      }
      return builds.startBuild(requests(), { signal }).catch(rethrow("build start", connection));
    },

    async *watchBuild(buildId, afterSeq, signal) {
      for await (const response of builds.watchBuild({ buildId, afterSeq }, { signal })) {
        if (response.event) yield eventFromHost(response.event);
      }
    },

    async cancelBuild(buildId) {
      try {
        await builds.cancelBuild({ buildId }, timed(controlTimeoutMs));
        return "cancelled";
      } catch (err) {
        if (hasGrpcStatus(err) && err.code === Status.NOT_FOUND) return "not-found";
        throw rethrow("build cancel", connection)(err);
      }
    },
  };
}

function templateInfo(t: HostTemplate): HostTemplateInfo {
  return {
    hostTemplateId: t.templateId,
    vcpus: t.vcpus,
    memoryMib: t.memoryMib,
    diskMib: t.diskMib,
    defaultUser: t.defaultUser,
    defaultWorkdir: t.defaultWorkdir,
    envs: t.envs,
    diskBytes: t.diskBytes,
  };
}

const endedStatus = {
  [BuildState.BUILD_STATE_SUCCEEDED]: "succeeded",
  [BuildState.BUILD_STATE_CANCELLED]: "cancelled",
} as Partial<Record<BuildState, "succeeded" | "cancelled">>;

/** A host event as the domain stores it; an event of no kind we know is a phase with no words. */
export function eventFromHost(event: HostEvent): HostBuildEvent {
  const at = event.at ?? new Date();
  let body: HostBuildEventBody;
  if (event.phase) body = { phase: { phase: event.phase.phase, detail: event.phase.detail } };
  else if (event.stepStarted) body = { stepStarted: { ...event.stepStarted } };
  else if (event.stepOutput) body = { stepOutput: { ...event.stepOutput } };
  else if (event.stepFinished) body = { stepFinished: { ...event.stepFinished } };
  else if (event.stepFailed) body = { stepFailed: { ...event.stepFailed } };
  else if (event.ended) {
    const status = endedStatus[event.ended.state] ?? "failed";
    body = {
      ended: {
        status,
        error: event.ended.error,
        ...(status === "succeeded" && event.ended.template ? { template: templateInfo(event.ended.template) } : {}),
      },
    };
  } else body = { phase: { phase: "", detail: "" } };
  return { seq: event.seq, at, body };
}

/** A host failure keeps its status and message (meant for callers); UNAVAILABLE names the host. */
function rethrow(what: string, connection: HostConnection) {
  return (err: unknown): never => {
    if (err instanceof ClientError) {
      if (err.code === Status.UNAVAILABLE) throw errors.unavailable(`host agent at ${connection.address} is unreachable (${what})`);
      if (err.code === Status.DEADLINE_EXCEEDED) throw errors.deadlineExceeded(`host agent at ${connection.address} did not finish the ${what} in time`);
      throw new ClientError(err.path, err.code, err.details);
    }
    throw err;
  };
}
