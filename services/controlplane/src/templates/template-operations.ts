import { errors, newUuid, toWireId, type Logger } from "@wrenn/shared";
import type { SandboxRecord } from "../lifecycle/sandbox.js";
import { parseTemplateName, templateNotFound } from "./template-ref.js";
import { resolveTemplate } from "./template-resolver.js";
import { isPlatform, templateLabel, type TemplateRecord } from "./template.js";
import type { TemplateHosts } from "./template-host.js";
import type { TemplateStore } from "./template-store.js";
import type { BuildCaller } from "./build-operations.js";

/** What a snapshot needs of the sandbox lifecycle (a narrow view of SandboxLifecycle). */
export interface SnapshotLifecycle {
  operable(teamId: string, id: string): Promise<SandboxRecord>;
  get(teamId: string, id: string): Promise<SandboxRecord>;
  pause(teamId: string, id: string, options?: { wait?: boolean; signal?: AbortSignal }): Promise<{ sandbox: SandboxRecord }>;
}

export interface TemplateOperations {
  /** The team's ready templates, then the platform's. */
  list(teamId: string): Promise<TemplateRecord[]>;
  get(teamId: string, ref: string): Promise<TemplateRecord>;
  /** FAILED_PRECONDITION while sandboxes that are not stopped use it; platform templates: platform admins only. */
  delete(caller: BuildCaller, ref: string): Promise<void>;
  /** Makes a template of a running sandbox of the team; the source keeps running, or is paused after. */
  snapshot(teamId: string, request: { sandboxId: string; name: string; pauseSource: boolean }, signal: AbortSignal): Promise<{ template: TemplateRecord; source: SandboxRecord }>;
}

export function createTemplateOperations(deps: { templates: TemplateStore; hosts: TemplateHosts; lifecycle: SnapshotLifecycle; logger: Logger }): TemplateOperations {
  const { templates, hosts, lifecycle, logger } = deps;
  return {
    list: (teamId) => templates.listVisible(teamId),

    get: (teamId, ref) => resolveTemplate(templates, teamId, ref),

    async delete(caller, ref) {
      const template = await resolveTemplate(templates, caller.teamId, ref);
      if (isPlatform(template) && !caller.platformAdmin) {
        throw errors.permissionDenied("platform templates can be deleted by platform admins only");
      }
      const { marked, users } = await templates.markDeleting(template.id);
      if (users > 0) {
        throw errors.failedPrecondition(
          `template ${templateLabel(template)} is used by ${users} sandbox${users === 1 ? "" : "es"} that ${users === 1 ? "is" : "are"} not stopped; destroy ${users === 1 ? "it" : "them"} first`,
        );
      }
      if (!marked) throw templateNotFound(ref);
      // A base template (no host) lives on every host and is kept there; only its row goes.
      if (template.hostId) {
        try {
          const host = await hosts.hostFor(template.hostId);
          await host.deleteTemplate(template.hostTemplateId);
        } catch (err) {
          await templates.unmarkDeleting(template.id);
          throw err;
        }
      }
      await templates.delete(template.id);
      logger.info({ templateId: template.id, name: templateLabel(template) }, "template deleted");
    },

    async snapshot(teamId, request, signal) {
      const { name, tag } = parseTemplateName(request.name, "name");
      const source = await lifecycle.operable(teamId, request.sandboxId);
      if (source.status !== "running") throw errors.failedPrecondition(`sandbox is ${source.status}; only a running sandbox can be snapshotted`);
      if (!source.hostId) throw errors.failedPrecondition("sandbox has no host");
      const parent = source.templateUuid ? await templates.get(source.templateUuid) : null;
      const id = newUuid();
      const hostTemplateId = toWireId("tpl", id);
      const host = await hosts.hostFor(source.hostId);
      const made = await host.createTemplate({ sandboxId: source.id, templateId: hostTemplateId });
      let template: TemplateRecord;
      try {
        template = await templates.insertReady({
          id,
          teamId,
          name,
          tag,
          hostTemplateId,
          hostId: source.hostId,
          resources: { vcpus: made.vcpus, memoryMib: made.memoryMib, diskMib: made.diskMib },
          // The host carries the source template's defaults over; the row's are the fallback.
          defaultUser: made.defaultUser || parent?.defaultUser || "",
          defaultWorkdir: made.defaultWorkdir || parent?.defaultWorkdir || "",
          envs: Object.keys(made.envs).length > 0 ? made.envs : (parent?.envs ?? {}),
          parent: parent ? templateLabel(parent) : source.templateId,
          buildId: null,
          sourceSandboxId: source.id,
          diskBytes: made.diskBytes,
        });
      } catch (err) {
        await host.deleteTemplate(hostTemplateId).catch((e: unknown) => logger.warn({ err: (e as Error).message }, "removing an unrecorded snapshot failed"));
        throw err;
      }
      logger.info({ templateId: id, sandboxId: source.id, name: templateLabel(template) }, "sandbox snapshotted as a template");
      const after = request.pauseSource ? (await lifecycle.pause(teamId, source.id, { wait: true, signal })).sandbox : await lifecycle.get(teamId, source.id);
      return { template, source: after };
    },
  };
}
