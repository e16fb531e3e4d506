import { randomUUID } from "node:crypto";
import type { DatabasePool } from "slonik";
import { createTemplateRepository } from "../../src/db/template-repository.js";
import type { TemplateRecord } from "../../src/templates/template.js";

/**
 * A template row pointing at a host template id the fake host agent has
 * ("broken", or a base size): what a build or snapshot would have made.
 * `teamId` null makes it the platform's (replacing one of that name and tag).
 */
export function addTemplateRow(pool: DatabasePool, fields: { name: string; tag?: string; hostTemplateId: string; teamId?: string | null; hostId?: string | null }): Promise<TemplateRecord> {
  return createTemplateRepository(pool).insertReady({
    id: randomUUID(),
    teamId: fields.teamId ?? null,
    name: fields.name,
    tag: fields.tag ?? "latest",
    hostTemplateId: fields.hostTemplateId,
    hostId: fields.hostId ?? null,
    resources: { vcpus: 1, memoryMib: 256, diskMib: 1024 },
    defaultUser: "",
    defaultWorkdir: "",
    envs: {},
    parent: "",
    buildId: null,
    sourceSandboxId: null,
    diskBytes: 0,
  });
}
