import type { Logger } from "@wrenn/shared";
import type { AccessToken } from "../lifecycle/access-token.js";
import type { ConnectionControl } from "../lifecycle/connections.js";
import type { Lifecycle } from "../lifecycle/lifecycle.js";
import type { Clock } from "../metadata/clock.js";
import type { CloneNotice } from "../metadata/clone-notice.js";
import type { KernelRng } from "../metadata/kernel-rng.js";
import type { MetadataStore } from "../metadata/store.js";
import type { PortScanner } from "../ports/port-scanner.js";
import type { ProcessRuntime } from "../process/managed-process.js";
import type { ProcessRegistry } from "../process/registry.js";
import type { ActorResolver } from "../users/actor.js";
import type { UserDb } from "../users/user-db.js";

/** What the RPC handlers need, built once in main.ts. */
export interface EnvdDeps {
  logger: Logger;
  metadata: MetadataStore;
  users: UserDb;
  resolveActor: ActorResolver;
  registry: ProcessRegistry;
  runtime: ProcessRuntime;
  lifecycle: Lifecycle;
  accessToken: AccessToken;
  connections: ConnectionControl;
  ports: PortScanner;
  clock: Clock;
  rng: KernelRng;
  cloneNotice: CloneNotice;
  /** Keepalive interval on every stream. */
  keepaliveMs: number;
  version: string;
}
