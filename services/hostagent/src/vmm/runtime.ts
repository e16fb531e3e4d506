/**
 * The one interface the sandbox layer sees. A runtime boots an isolated
 * environment running envd and tells the caller where envd listens; envd
 * health checks and Init are the sandbox layer's job, so every runtime
 * (namespace now, QEMU later) shares them.
 */
export interface SandboxSpec {
  /** Wire id, "sb-" + 32 hex; already validated. */
  sandboxId: string;
  templateId: string;
  /** Hostname inside the sandbox. */
  hostname: string;
}

export interface SandboxHandle {
  sandboxId: string;
  templateId: string;
  startedAt: Date;
  /** gRPC target of the sandbox's envd as seen from the host, e.g. "unix:/…/envd.sock". */
  envdTarget: string;
  /** Host pid of the process that holds the sandbox (bwrap, later qemu). */
  pid: number;
}

export interface SandboxExit {
  sandboxId: string;
  /** Exit code of the sandbox's main process, or null when a signal ended it. */
  code: number | null;
  signal: string | null;
  /** Last lines the sandbox's process wrote to stdout/stderr (for logs, never for callers). */
  outputTail: string;
}

export interface Runtime {
  /** "namespace" or "qemu". */
  readonly name: string;
  /** Template ids this runtime can create sandboxes from. */
  templates(): string[];
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
  /** Destroys every sandbox (agent shutdown). */
  close(): Promise<void>;
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
