import { errors } from "@wrenn/shared";
import { BuildRecord } from "./build-record.js";

/** Ended builds stay listed (and watchable) this long. */
export const endedRetentionMs = 60 * 60_000;

/**
 * The builds this agent knows: running ones and those that ended within the
 * hour. Ids are reserved while a StartBuild is still receiving its archive,
 * so a second StartBuild with the same build or template id is refused.
 */
export class BuildRegistry {
  private readonly builds = new Map<string, BuildRecord>();
  private readonly reservedBuilds = new Set<string>();
  private readonly reservedTemplates = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Holds both ids until `release`; ALREADY_EXISTS when either is taken. */
  reserve(buildId: string, templateId: string): () => void {
    this.prune();
    if (this.builds.has(buildId) || this.reservedBuilds.has(buildId)) throw errors.alreadyExists(`build ${buildId} already exists`);
    if (this.reservedTemplates.has(templateId) || [...this.builds.values()].some((b) => !b.ended && b.templateId === templateId)) {
      throw errors.alreadyExists(`template "${templateId}" is being built by another build`);
    }
    this.reservedBuilds.add(buildId);
    this.reservedTemplates.add(templateId);
    return () => {
      this.reservedBuilds.delete(buildId);
      this.reservedTemplates.delete(templateId);
    };
  }

  add(record: BuildRecord): void {
    this.builds.set(record.buildId, record);
  }

  get(buildId: string): BuildRecord {
    this.prune();
    const record = this.builds.get(buildId);
    if (record === undefined) throw errors.notFound(`build ${buildId} not found`);
    return record;
  }

  list(): BuildRecord[] {
    this.prune();
    return [...this.builds.values()];
  }

  running(): BuildRecord[] {
    return [...this.builds.values()].filter((b) => !b.ended);
  }

  private prune(): void {
    const cutoff = this.now() - endedRetentionMs;
    for (const [id, b] of this.builds) if (b.endedAt !== undefined && b.endedAt.getTime() < cutoff) this.builds.delete(id);
  }
}
