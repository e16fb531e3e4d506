import { errors } from "@wrenn/shared";
import type { TemplateHosts } from "../templates/template-host.js";
import type { HostRegistry } from "./host-registry.js";
import { createTemplateHost } from "./template-host-adapter.js";

/** Runtimes that can snapshot memory, which builds need (the namespace runtime has no working CRIU here). */
const buildingRuntimes = new Set(["qemu"]);

/** Picks build hosts among the registry's online hosts, by the runtime each reports. */
export function createTemplateHosts(registry: HostRegistry): TemplateHosts {
  return {
    async pickBuildHost() {
      const online = registry.onlineHostIds();
      if (online.length === 0) throw errors.unavailable("no host agent is reachable; try again later");
      const runtimes: string[] = [];
      for (const hostId of online) {
        const connection = await registry.connectionFor(hostId);
        const info = await connection.sandboxes.getHostInfo({}, { signal: AbortSignal.timeout(5_000) }).catch(() => null);
        if (!info) continue;
        if (buildingRuntimes.has(info.runtime)) return { hostId, host: createTemplateHost(connection) };
        runtimes.push(info.runtime);
      }
      if (runtimes.length === 0) throw errors.unavailable("no host agent is reachable; try again later");
      throw errors.failedPrecondition(
        `no host can build templates: builds need the qemu runtime (memory snapshots), and the hosts run ${[...new Set(runtimes)].join(", ")}`,
      );
    },

    async hostFor(hostId) {
      return createTemplateHost(await registry.connectionFor(hostId));
    },
  };
}
