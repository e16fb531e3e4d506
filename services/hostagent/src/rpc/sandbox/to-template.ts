import type { Template } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { TemplateInfo } from "../../runtime/runtime.js";

/** Domain template → wire message (the envd token never leaves the agent). */
export function toTemplate(info: TemplateInfo): Template {
  return {
    templateId: info.id,
    parentTemplateId: info.parentId ?? "",
    createdAt: info.createdAt,
    vcpus: info.vcpus,
    memoryMib: info.memoryMiB,
    users: info.users,
    diskMib: info.diskMiB,
    defaultUser: info.defaults.user ?? "",
    defaultWorkdir: info.defaults.workdir ?? "",
    envs: info.defaults.envs,
    diskBytes: info.diskBytes,
  };
}
