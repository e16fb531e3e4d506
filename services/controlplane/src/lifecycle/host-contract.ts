import type { ExpiryAction, SandboxResources } from "./sandbox.js";

/**
 * What the lifecycle needs from the outside world, as plain interfaces: the
 * domain never sees gRPC clients. Ids here are UUIDs.
 */
export interface EgressRule {
  mode: "allow-all" | "deny-all" | "allow-list";
  allowedCidrs: string[];
}

/** A sandbox as its host sees it. */
export interface HostSandboxState {
  /** UUID. */
  sandboxId: string;
  state: "running" | "paused";
  expiresAt: Date | null;
}

export interface SandboxMetrics {
  cpuSeconds: number;
  cpuCores: number;
  memoryBytes: number;
  diskBytes: number;
}

/** What a host says about a sandbox it just started or resumed. */
export interface StartedSandbox {
  expiresAt: Date | null;
  /** Null when the host did not say (an older host agent). */
  resources: SandboxResources | null;
}

export interface SandboxHost {
  /** Resolves once the sandbox runs on the host; rejects with a status-carrying error otherwise. */
  createSandbox(request: {
    sandboxId: string;
    templateId: string;
    envs: Record<string, string>;
    startTimeoutSeconds: number;
    timeoutSeconds?: number;
    onExpiry?: ExpiryAction;
    egress?: EgressRule;
  }): Promise<StartedSandbox>;
  /** "not-found" when the host holds no such sandbox (which counts as destroyed). */
  destroySandbox(sandboxId: string): Promise<"destroyed" | "not-found">;
  pauseSandbox(sandboxId: string): Promise<void>;
  /** timeoutSeconds 0 keeps the sandbox's TTL length. */
  resumeSandbox(sandboxId: string, timeoutSeconds: number): Promise<StartedSandbox>;
  setSandboxTimeout(sandboxId: string, timeoutSeconds: number): Promise<{ expiresAt: Date | null }>;
  getSandboxMetrics(sandboxId: string): Promise<SandboxMetrics>;
  /** Every sandbox the host holds (UUIDs; ids the host knows that are not ours are skipped). */
  listSandboxes(): Promise<HostSandboxState[]>;
}

export interface PlacedHost {
  /** UUID of the host's row. */
  hostId: string;
  host: SandboxHost;
  /**
   * Tells the scheduler the host has answered the create (either way), so it
   * stops counting the placement once the host's own figures include it.
   */
  answered?(): void;
}

export interface Scheduler {
  /**
   * Picks the host for a new sandbox, one that has its template: NOT_FOUND
   * when no host has it, UNAVAILABLE when no host is reachable.
   */
  pickHost(request: { templateId: string }): Promise<PlacedHost>;
  /** The host a sandbox was placed on; UNAVAILABLE when it is not known or reachable. */
  hostFor(hostId: string): Promise<SandboxHost>;
}
