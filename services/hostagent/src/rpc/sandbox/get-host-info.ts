import type { GetHostInfoResponse } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { HostInfo } from "../../host/host-info.js";

export function getHostInfoHandler(hostInfo: () => HostInfo) {
  return async (): Promise<GetHostInfoResponse> => {
    const info = hostInfo();
    return {
      hostId: info.hostId,
      runtime: info.runtime,
      cpuCount: info.cpuCount,
      memoryBytes: info.memoryBytes,
      templates: info.templates,
      version: info.version,
      portProxyAddress: info.portProxyAddress ?? "",
    };
  };
}
