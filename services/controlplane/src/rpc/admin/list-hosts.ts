import { toWireId } from "@wrenn/shared";
import type { Host, ListHostsRequest, ListHostsResponse } from "@wrenn/gen/wrenn/api/v1/admin.js";
import type { AdminStore, HostSummary } from "../../identity/admin-store.js";
import type { CallerContext } from "../caller-context.js";
import { requirePlatformAdmin } from "./admin-caller.js";

/** Every host the controlplane has registered, with its last known status. */
export function listHostsHandler(admins: AdminStore) {
  return async function listHosts(_request: ListHostsRequest, context: CallerContext): Promise<ListHostsResponse> {
    requirePlatformAdmin(context);
    const hosts = await admins.listHosts();
    return {
      hosts: hosts.map(hostToApi),
    };
  };
}

export function hostToApi(host: HostSummary): Host {
  return {
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
    registered: host.registeredAt !== null,
    certificateExpiresAt: host.certificateExpiresAt ?? undefined,
  };
}
