import type { HostBuildEvent, HostTemplateInfo } from "./build.js";

/** What a build asks the host to run. */
export interface HostBuildSpec {
  /** Wire id "bld-…". */
  buildId: string;
  /** Wire id "tpl-…" of the template row the build will become. */
  templateId: string;
  fromTemplateId: string;
  recipe: string;
  diskMib: number;
  stepTimeoutSeconds: number;
}

/**
 * What templates and builds need of a host agent, as plain interfaces (the
 * adapter over wrenn.hostagent.v1 is hosts/template-host-adapter.ts).
 * Failures carry the host's gRPC status and message.
 */
export interface TemplateHost {
  listTemplates(): Promise<HostTemplateInfo[]>;
  /** Snapshots a running sandbox (UUID) as a template; the source keeps running. */
  createTemplate(request: { sandboxId: string; templateId: string }): Promise<HostTemplateInfo>;
  /** "not-found" when the host holds no such template. */
  deleteTemplate(templateId: string): Promise<"deleted" | "not-found">;
  /** Sends the spec and the archive's chunks; resolves once the host stored the archive and queued the build. */
  startBuild(spec: HostBuildSpec, archive: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<{ archiveSha256: string; archiveBytes: number; stepsTotal: number }>;
  /** Events after `afterSeq`, then live ones; ends after the last. Rejects NOT_FOUND for a build the host does not know. */
  watchBuild(buildId: string, afterSeq: number, signal: AbortSignal): AsyncIterable<HostBuildEvent>;
  /** "not-found" when the host does not know the build. */
  cancelBuild(buildId: string): Promise<"cancelled" | "not-found">;
}

export interface TemplateHosts {
  /** A host whose runtime can make templates: FAILED_PRECONDITION (saying why) when none can, UNAVAILABLE when none answers. */
  pickBuildHost(): Promise<{ hostId: string; host: TemplateHost }>;
  /** The host a template or build lives on (UUID); for a sandbox, the host it runs on. */
  hostFor(hostId: string): Promise<TemplateHost>;
}
