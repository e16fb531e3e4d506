import { toWireId } from "@wrenn/shared";
import type { ListHostsRequest, ListHostsResponse } from "@wrenn/gen/wrenn/api/v1/admin.js";
import type { AdminStore } from "../../identity/admin-store.js";
import type { CallerContext } from "../caller-context.js";
import { requirePlatformAdmin } from "./admin-caller.js";

/** Every host the controlplane has registered, with its last known status. */
export function listHostsHandler(admins: AdminStore) {
  return async function listHosts(_request: ListHostsRequest, context: CallerContext): Promise<ListHostsResponse> {
    requirePlatformAdmin(context);
    const hosts = await admins.listHosts();
    return {
      hosts: hosts.map((host) => ({
        hostId: toWireId("host", host.id),
        address: host.address,
        status: host.status,
        runtime: host.runtime,
        cpuCount: host.cpuCount,
        memoryBytes: host.memoryBytes,
        lastSeenAt: host.lastSeenAt ?? undefined,
        freeMemoryBytes: host.freeMemoryBytes,
        loadAverage: host.loadAverage,
        diskFreeBytes: host.diskFreeBytes,
        sandboxCount: host.sandboxCount,
        sandboxMemoryBytes: host.sandboxMemoryBytes,
        templates: host.templates,
      })),
    };
  };
}
