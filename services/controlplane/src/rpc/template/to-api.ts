import { toWireId } from "@wrenn/shared";
import type { Template } from "@wrenn/gen/wrenn/api/v1/template.js";
import type { TemplateRecord } from "../../templates/template.js";

/** Row → public message; UUIDs become wire ids here. */
export function templateToApi(t: TemplateRecord): Template {
  return {
    templateId: toWireId("tpl", t.id),
    name: t.name,
    tag: t.tag,
    teamId: t.teamId ? toWireId("team", t.teamId) : "",
    platform: t.teamId === null,
    resources: { ...t.resources },
    defaultUser: t.defaultUser,
    defaultWorkdir: t.defaultWorkdir,
    envs: t.envs,
    buildId: t.buildId ? toWireId("bld", t.buildId) : "",
    sourceSandboxId: t.sourceSandboxId ? toWireId("sb", t.sourceSandboxId) : "",
    createdAt: t.createdAt,
    diskBytes: t.diskBytes,
    parent: t.parent,
  };
}
