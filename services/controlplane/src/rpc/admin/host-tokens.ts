import { fromWireId } from "@wrenn/shared";
import type { CreateHostTokenRequest, CreateHostTokenResponse, RevokeHostRequest, RevokeHostResponse } from "@wrenn/gen/wrenn/api/v1/admin.js";
import type { AdminStore } from "../../identity/admin-store.js";
import type { HostEnrollment } from "../../hosts/enrollment/host-enrollment.js";
import type { CallerContext } from "../caller-context.js";
import { requirePlatformAdmin } from "./admin-caller.js";
import { hostToApi } from "./list-hosts.js";

/** A one-time token for a new platform host (shown once). */
export function createHostTokenHandler(enrollment: HostEnrollment) {
  return async function createHostToken(request: CreateHostTokenRequest, context: CallerContext): Promise<CreateHostTokenResponse> {
    const admin = requirePlatformAdmin(context);
    return enrollment.createToken(admin.user?.id ?? null, request.ttlSeconds);
  };
}

export function revokeHostHandler(enrollment: HostEnrollment, admins: AdminStore) {
  return async function revokeHost(request: RevokeHostRequest, context: CallerContext): Promise<RevokeHostResponse> {
    requirePlatformAdmin(context);
    const hostId = fromWireId("host", request.hostId, "host_id");
    await enrollment.revoke(hostId);
    const host = (await admins.listHosts()).find((entry) => entry.id === hostId);
    return { host: host ? hostToApi(host) : undefined };
  };
}
