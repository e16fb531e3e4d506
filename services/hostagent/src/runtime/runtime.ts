import type { EgressPolicy } from "../network/egress-policy.js";

/**
 * The one interface the sandbox layer sees. A runtime boots an isolated
 * environment running envd and tells the caller where envd listens; envd
 * health checks and Init are the sandbox layer's job, so both runtimes
 * (namespace/ and qemu/ beside this file) share them.
 */
export interface SandboxSpec {
  /** Wire id, "sb-" + 32 hex; already validated. */
  sandboxId: string;
  templateId: string;
  /** Hostname inside the sandbox. */
  hostname: string;
  /** Outbound traffic policy, enforced on the host by the network provider; undefined = allow all. */
  egress?: EgressPolicy;
  /**
   * Builds only: start from this checkpoint (a directory `checkpoint()` wrote)
   * instead of the template's snapshot; `templateId` is then the template the
   * checkpoint's disk is backed by.
   */
  fromCheckpoint?: string;
}

export interface SandboxHandle {
  sandboxId: string;
  templateId: string;
  startedAt: Date;
  /** gRPC target of the sandbox's envd as seen from the host, e.g. "unix:/…/envd.sock". */
  envdTarget: string;
  /** Host pid of the process that holds the sandbox (bwrap or qemu). */
  pid: number;
  resources: SandboxResources;
  /** Where the port tunnel (proxy/) reaches the sandbox's ports; undefined: nowhere from the host. */
  ports?: PortReach;
}

/**
 * How the host reaches a port a server listens on in a sandbox. "address":
 * the sandbox's end of its veth (namespace runtime), or the namespace address
 * the host DNATs to the guest (VM); envd forwards loopback-only listeners to
 * it. "netns": a sandbox with no outside network (isolated namespace
 * runtime) is dialled from inside its network namespace, at loopback.
 */
export type PortReach =
  | { kind: "address"; host: string }
  /** `inode` of that namespace when the handle was made: a reused pid must not lead the dial into another namespace. */
  | { kind: "netns"; path: string; inode: number };

/** What a sandbox gets, as its user sees it. */
export interface SandboxResources {
  vcpus: number;
  memoryMiB: number;
  /** Size of its root disk (QEMU: the overlay's virtual size; namespace: the host filesystem holding it). */
  diskMiB: number;
}

/** Sandboxes a previous run of the agent left, sorted out at start (Runtime.recover). */
export interface RecoveredSandboxes {
  /** Still alive and taken over: running ones are reachable again at handle.envdTarget. */
  adopted: Array<{
    handle: SandboxHandle;
    paused: boolean;
    /** A pause was cut short by the agent's death (its VM was stopped and is running again): envd may still be quiesced. */
    interruptedPause?: boolean;
  }>;
  /** Dead (or not adoptable); whatever they left has been removed. */
  lost: string[];
}

/** On agent stop: leave sandboxes running for the next start to adopt, or destroy them. */
export type StopMode = "keep" | "destroy";

export interface SandboxExit {
  sandboxId: string;
  /** Exit code of the sandbox's main process, or null when a signal ended it. */
  code: number | null;
  signal: string | null;
  /** Last lines the sandbox's process wrote to stdout/stderr (for logs, never for callers). */
  outputTail: string;
}

/**
 * What a runtime can do beyond create/destroy. The sandbox layer checks these
 * and answers FAILED_PRECONDITION with the reason instead of trying.
 */
export interface RuntimeCapabilities {
  /**
   * "snapshot": pause writes memory and device state to disk and the VM
   * process exits; resume restores into a new process (envd must be prepared
   * before and re-initialised after). "freeze": processes are frozen in place
   * (freezer cgroup) and thawed on resume. "none": cannot pause.
   */
  pause: "snapshot" | "freeze" | "none";
  /** Why pause is "none" (shown to callers). */
  pauseUnavailableReason?: string;
  /** Can snapshot a paused sandbox into a named template. */
  templates: boolean;
  /** Why templates are unavailable (shown to callers). */
  templatesUnavailableReason?: string;
}

export interface SandboxStats {
  /** CPU time used by the sandbox's current process(es), seconds. */
  cpuSeconds: number;
  /** Host memory held (RSS of the VM, or the memory cgroup's usage). */
  memoryBytes: number;
  /** Host disk used by the sandbox's own writes (overlay, saved state). */
  diskBytes: number;
}

export interface PauseResult {
  /** Bytes of state written to disk (0 when paused in place). */
  stateBytes: number;
  ms: number;
}

/** What a template applies to every sandbox made from it (recorded in its template.json). */
export interface TemplateDefaults {
  /** envd's default user; undefined: root. */
  user?: string;
  /** Working directory of processes started without one; undefined: the user's home. */
  workdir?: string;
  /** Environment of every process; a create's envs win over these. */
  envs: Record<string, string>;
}

export interface TemplateInfo {
  id: string;
  parentId?: string;
  createdAt: Date;
  vcpus: number;
  memoryMiB: number;
  /** Root disk size of its sandboxes. */
  diskMiB: number;
  defaults: TemplateDefaults;
  /** Bytes its own files take on disk (allocated; a backing template's not counted). */
  diskBytes: number;
  /** Sandboxes (running, paused or starting) and templates that use its files. */
  users: number;
  /** envd token of the sandbox it was snapshotted from (its envd still requires it), if any. */
  envdToken?: string;
  /** Its envd was quiesced (PrepareSnapshot) when snapshotted: clones must call AfterRestore. */
  quiesced: boolean;
}

export interface CreateTemplateOptions {
  envdToken?: string;
  quiesced: boolean;
  signal: AbortSignal;
  /** Recorded with the template; undefined: the source's template's defaults. */
  defaults?: TemplateDefaults;
}

/** A running sandbox's memory, device state and disk saved in a directory while it runs on (builds' step cache). */
export interface CheckpointInfo {
  dir: string;
  /** The template the checkpoint's disk is backed by: removing that template removes its checkpoints. */
  templateId: string;
  /** Size the sandbox's disk had (MiB). */
  diskMiB: number;
  /** Bytes of saved device state and RAM, and of the disk overlay copy. */
  stateBytes: number;
  diskBytes: number;
  ms: number;
}

export interface TemplateFromCheckpointOptions extends CreateTemplateOptions {
  defaults: TemplateDefaults;
}

export interface Runtime {
  /** "namespace" or "qemu". */
  readonly name: string;
  readonly capabilities: RuntimeCapabilities;
  /** Template ids this runtime lists (base sizes included, built or not). */
  templates(): string[];
  /** A create may name this template: one that exists, or any valid base-size id (made on first use). */
  hasTemplate(templateId: string): boolean;
  /**
   * Boots the sandbox and resolves once its envd endpoint exists. On any
   * failure, or when `signal` aborts, everything created so far is undone
   * before the promise rejects.
   */
  create(spec: SandboxSpec, signal: AbortSignal): Promise<SandboxHandle>;
  /** Kills and removes the sandbox; resolves when nothing of it is left. Unknown ids are a no-op. */
  destroy(sandboxId: string): Promise<void>;
  /** Sandboxes that are running now. */
  list(): SandboxHandle[];
  /**
   * Called when a running sandbox dies on its own (not through destroy),
   * after its resources were cleaned up. Returns an unsubscribe function.
   */
  onExit(listener: (exit: SandboxExit) => void): () => void;
  /**
   * Called once at start, before any create: adopts the sandboxes a previous
   * run left that are still alive (processes, QMP, networks, cgroups, exit
   * watching) and removes what dead ones left.
   */
  recover(): Promise<RecoveredSandboxes>;
  /** Agent shutdown: "destroy" (default) removes every sandbox; "keep" lets go of them, still running, for the next start to adopt. */
  close(mode?: StopMode): Promise<void>;
  /**
   * Pauses a running sandbox (see capabilities.pause). On failure the
   * sandbox is either still running (list() has it) or gone (destroyed).
   */
  pause(sandboxId: string): Promise<PauseResult>;
  /** Resumes a paused sandbox. On failure the sandbox is destroyed. */
  resume(sandboxId: string, signal: AbortSignal): Promise<SandboxHandle>;
  /** Ids of paused sandboxes. */
  paused(): string[];
  stats(sandboxId: string): Promise<SandboxStats>;
  /** Snapshots a paused sandbox as template `templateId`; the sandbox stays paused. */
  createTemplate(sandboxId: string, templateId: string, options: CreateTemplateOptions): Promise<TemplateInfo>;
  /** FAILED_PRECONDITION while anything uses it. */
  deleteTemplate(templateId: string): Promise<void>;
  templateInfo(): TemplateInfo[];
  /**
   * Saves a running sandbox's memory, device state and disk into `dir` (which
   * must not exist yet) and lets it run on; the caller quiesces envd around
   * it. FAILED_PRECONDITION where capabilities.templates is false.
   */
  checkpoint(sandboxId: string, dir: string, signal: AbortSignal): Promise<CheckpointInfo>;
  /**
   * Makes template `templateId` from a checkpoint: RAM laid into a memory file
   * clones map, the disk flattened into one compact image without a backing
   * file, `defaults` recorded. The checkpoint is left as it was.
   */
  templateFromCheckpoint(checkpointDir: string, templateId: string, options: TemplateFromCheckpointOptions): Promise<TemplateInfo>;
  /** Grows a running sandbox's root disk device to `diskMiB` (growing its filesystem is the caller's, inside the guest). */
  growDisk(sandboxId: string, diskMiB: number): Promise<void>;
}

/** Thrown by runtimes when a sandbox process exits before it became ready. */
export class SandboxStartError extends Error {
  constructor(
    message: string,
    readonly exit?: SandboxExit,
  ) {
    super(message);
    this.name = "SandboxStartError";
  }
}
