import type { SandboxResources } from "../lifecycle/sandbox.js";

export const buildStatuses = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type BuildStatus = (typeof buildStatuses)[number];
export const activeBuildStatuses: readonly BuildStatus[] = ["queued", "running"];

/** A build as the controlplane knows it (the `builds` row). Ids are UUIDs. */
export interface BuildRecord {
  id: string;
  teamId: string | null;
  platform: boolean;
  name: string;
  tag: string;
  recipe: string;
  fromTemplate: string | null;
  status: BuildStatus;
  error: string;
  failedLine: number;
  stepsTotal: number;
  stepsDone: number;
  stepsCached: number;
  resources: SandboxResources;
  hostId: string | null;
  /** What the host builds the template under: the wire id of the template row it will become. */
  hostTemplateId: string;
  /** The template it made, once it succeeded. */
  templateId: string | null;
  archiveSha256: string;
  archiveBytes: number;
  lastSeq: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** What a host reports of a template it made: the template row is built from it. */
export interface HostTemplateInfo {
  hostTemplateId: string;
  vcpus: number;
  memoryMib: number;
  diskMib: number;
  defaultUser: string;
  defaultWorkdir: string;
  envs: Record<string, string>;
  diskBytes: number;
}

/**
 * One thing that happened in a build, as stored in `build_events` and shown
 * by WatchBuild: exactly one kind, with the public event's fields (camelCase,
 * as in its JSON). `ended` carries the template made as its row's id.
 */
export type BuildEventBody =
  | { phase: { phase: string; detail: string } }
  | { stepStarted: { step: number; line: number; instruction: string; cached: boolean } }
  | { stepOutput: { step: number; stream: string; text: string } }
  | { stepFinished: { step: number; durationMs: number; cached: boolean } }
  | { stepFailed: { step: number; line: number; reason: string; outputTail: string } }
  | { ended: { status: "succeeded" | "failed" | "cancelled"; error: string; templateId?: string } };

export interface BuildEvent {
  seq: number;
  at: Date;
  body: BuildEventBody;
}

/** A host's event before it is stored: `ended` carries what the host made. */
export type HostBuildEventBody =
  | Exclude<BuildEventBody, { ended: unknown }>
  | { ended: { status: "succeeded" | "failed" | "cancelled"; error: string; template?: HostTemplateInfo } };

export interface HostBuildEvent {
  seq: number;
  at: Date;
  body: HostBuildEventBody;
}

export type NewBuild = Pick<
  BuildRecord,
  "id" | "teamId" | "platform" | "name" | "tag" | "recipe" | "fromTemplate" | "resources" | "hostId" | "hostTemplateId"
>;

/** What builds need of the store of record (db/build-repository.ts). */
export interface BuildStore {
  insertQueued(build: NewBuild): Promise<BuildRecord>;
  /**
   * Inserts a queued platform-owned build (no team) unless its name:tag is a
   * ready platform template, a build of it is active, or one ended unsuccessfully
   * less than `retryAfterSeconds` ago (then null). One decision at a time
   * across controlplane copies.
   */
  insertPlatformQueued(build: NewBuild, retryAfterSeconds: number): Promise<BuildRecord | null>;
  get(id: string): Promise<BuildRecord | null>;
  /** The team's builds, newest first (at most `limit`). */
  listForTeam(teamId: string, limit: number): Promise<BuildRecord[]>;
  /** Builds still queued or running, oldest first (the follower resumes them at start). */
  listActive(): Promise<BuildRecord[]>;
  /** Running, with what the host said when it took the build. */
  markRunning(id: string, started: { archiveSha256: string; archiveBytes: number; stepsTotal: number }): Promise<BuildRecord | null>;
  /** Deletes a build the host refused (nothing of it exists anywhere). */
  delete(id: string): Promise<void>;
  /**
   * Stores an event (ignored when its seq is stored already) and the progress
   * it means; returns whether it was new.
   */
  appendEvent(id: string, event: { seq: number; at: Date; body: BuildEventBody }): Promise<boolean>;
  /** Events after `afterSeq`, in order, at most `limit`. */
  events(id: string, afterSeq: number, limit: number): Promise<BuildEvent[]>;
  /**
   * Ends an active build: the status, the error, and (on success) the
   * template, inserted in the same transaction (an older ready one of that
   * name and tag becomes superseded), plus the `ended` event after the last
   * stored one. Null when the build had ended already.
   */
  finish(
    id: string,
    outcome: { status: "succeeded" | "failed" | "cancelled"; error: string; template?: import("./template.js").NewTemplate; seq?: number; at?: Date },
  ): Promise<BuildRecord | null>;
}
