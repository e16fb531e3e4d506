import type { SandboxResources } from "../lifecycle/sandbox.js";

export const templateStatuses = ["ready", "superseded", "deleting"] as const;
export type TemplateStatus = (typeof templateStatuses)[number];

/**
 * A template as the controlplane knows it (the `templates` row). Ids are
 * UUIDs; the public id is "tpl-" and the UUID's hex (rpc/template/to-api.ts).
 * Its files live on a host under `hostTemplateId`: the row's own wire id for
 * a built or snapshotted template, "base" / "base-<v>x<m>" for the platform's
 * base templates, which every host makes (hostId null).
 */
export interface TemplateRecord {
  id: string;
  /** Null for a platform template, which every team may use. */
  teamId: string | null;
  name: string;
  tag: string;
  status: TemplateStatus;
  hostTemplateId: string;
  hostId: string | null;
  resources: SandboxResources;
  defaultUser: string;
  defaultWorkdir: string;
  envs: Record<string, string>;
  /** "name:tag" of the template it was built or snapshotted from; empty for a base. */
  parent: string;
  buildId: string | null;
  sourceSandboxId: string | null;
  diskBytes: number;
  createdAt: Date;
}

export type NewTemplate = Omit<TemplateRecord, "status" | "createdAt">;

export function isPlatform(template: TemplateRecord): boolean {
  return template.teamId === null;
}

/** "name:tag", how users and recipes name a template. */
export function templateLabel(template: { name: string; tag: string }): string {
  return `${template.name}:${template.tag}`;
}

/** Host ids of base templates: made by every host on demand, so a base row names no host. */
export function isBaseHostTemplate(hostTemplateId: string): boolean {
  return hostTemplateId === "base" || /^base-\d+x\d+$/.test(hostTemplateId);
}
