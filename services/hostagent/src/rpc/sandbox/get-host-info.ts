import type { GetHostInfoResponse } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { HostCapacity, HostInfo } from "../../host/host-info.js";

export function getHostInfoHandler(hostInfo: () => Promise<HostInfo & HostCapacity>) {
  return async (): Promise<GetHostInfoResponse> => {
    const info = await hostInfo();
    return {
      hostId: info.hostId,
      runtime: info.runtime,
      cpuCount: info.cpuCount,
      memoryBytes: info.memoryBytes,
      templates: info.templates,
      version: info.version,
      portProxyAddress: info.portProxyAddress ?? "",
      freeMemoryBytes: info.freeMemoryBytes,
      loadAverage: info.loadAverage,
      diskFreeBytes: info.diskFreeBytes,
      sandboxCount: info.sandboxCount,
      sandboxMemoryBytes: info.sandboxMemoryBytes,
    };
  };
}
