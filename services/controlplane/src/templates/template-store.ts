import type { NewTemplate, TemplateRecord } from "./template.js";

/** What the template domain needs of the store of record (db/template-repository.ts). Ids are UUIDs. */
export interface TemplateStore {
  get(id: string): Promise<TemplateRecord | null>;
  /** The ready template of that owner (null: the platform) with that name and tag. */
  findByName(teamId: string | null, name: string, tag: string): Promise<TemplateRecord | null>;
  /** The team's ready templates, then the platform's, each by name and tag. */
  listVisible(teamId: string): Promise<TemplateRecord[]>;
  /**
   * Inserts a ready template; an older ready one of the same owner, name and
   * tag becomes `superseded` in the same transaction.
   */
  insertReady(template: NewTemplate): Promise<TemplateRecord>;
  /** Sandboxes that are not stopped and were made from it. */
  countUsers(id: string): Promise<number>;
  /**
   * Moves it to `deleting` in one statement, unless sandboxes that are not
   * stopped use it: `users` says how many (then it stays as it was). `marked`
   * false with no users: it was being deleted, or is gone.
   */
  markDeleting(id: string): Promise<{ marked: boolean; users: number }>;
  /** Puts a `deleting` template back to `ready` (or `superseded` if its name was taken meanwhile). */
  unmarkDeleting(id: string): Promise<void>;
  delete(id: string): Promise<void>;
  /** Adds the platform's base templates that are missing (two copies starting together add them once). */
  seedPlatform(templates: NewTemplate[]): Promise<void>;
  /** Records the sizes a host reports for a platform base template (by host template id). */
  updatePlatformSizes(hostTemplateId: string, sizes: { vcpus: number; memoryMib: number; diskMib: number; diskBytes: number }): Promise<void>;
}
