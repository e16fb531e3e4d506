import type { Logger } from "@wrenn/shared";
import type { MetadataStore } from "../metadata/store.js";
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
  version: string;
}
