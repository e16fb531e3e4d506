import { toWireId } from "@wrenn/shared";
import type { HostRegistrationServiceImplementation } from "@wrenn/gen/wrenn/api/v1/host.js";
import type { HostEnrollment } from "../../hosts/enrollment/host-enrollment.js";

/** RegisterHost: open (no API key), authenticated by the one-time token it carries. */
export function createHostRegistrationService(enrollment: HostEnrollment): HostRegistrationServiceImplementation {
  return {
    async registerHost(request) {
      const registered = await enrollment.register({
        token: request.token,
        csrPem: request.csrPem,
        address: request.address,
        agentHostId: request.agentHostId,
        portProxyAddress: request.portProxyAddress,
      });
      return {
        hostId: toWireId("host", registered.hostId),
        certificatePem: registered.certificatePem,
        caCertificatePem: registered.caCertificatePem,
        serverName: registered.serverName,
        expiresAt: registered.expiresAt,
      };
    },
  };
}
