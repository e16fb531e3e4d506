/**
 * What the lifecycle needs from the outside world, as plain interfaces: the
 * domain never sees gRPC clients. Ids here are UUIDs.
 */
export interface SandboxHost {
  /** Resolves once the sandbox runs on the host; rejects with a status-carrying error otherwise. */
  createSandbox(request: {
    sandboxId: string;
    templateId: string;
    envs: Record<string, string>;
    startTimeoutSeconds: number;
  }): Promise<void>;
  /** "not-found" when the host holds no such sandbox (which counts as destroyed). */
  destroySandbox(sandboxId: string): Promise<"destroyed" | "not-found">;
}

export interface PlacedHost {
  /** UUID of the host's row. */
  hostId: string;
  host: SandboxHost;
}

export interface Scheduler {
  /** Picks the host for a new sandbox; UNAVAILABLE when no host is reachable. */
  pickHost(request: { templateId: string }): Promise<PlacedHost>;
  /** The host a sandbox was placed on; UNAVAILABLE when it is not known or reachable. */
  hostFor(hostId: string): Promise<SandboxHost>;
}
