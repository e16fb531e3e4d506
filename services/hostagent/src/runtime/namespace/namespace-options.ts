import type { Logger } from "@wrenn/shared";
import type { NamespaceNetworkProvider } from "../../network/netns-provider.js";
import type { CgroupLimits } from "./cgroups.js";

export interface NamespaceRuntimeOptions {
  /** DATA_DIR/sandboxes: one directory per sandbox. */
  sandboxesDir: string;
  /** Template id → host path of its root (the overlay lower layer). */
  templateRoots: Map<string, string>;
  envdBundle: string;
  /** Node binary inside the sandbox (it sees the host's /usr read-only). */
  nodePath: string;
  /** cgroup v1 memory/pids limits per sandbox; undefined runs without. */
  limits?: CgroupLimits;
  /**
   * Puts each sandbox in a prepared network namespace (veth to the host,
   * egress rules on the host side); undefined keeps a private loopback-only one.
   */
  network?: NamespaceNetworkProvider;
  logger: Logger;
}
