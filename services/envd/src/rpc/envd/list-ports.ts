import type { ListPortsRequest, ListPortsResponse } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import type { EnvdDeps } from "../deps.js";

export function createListPortsHandler(deps: EnvdDeps) {
  return async (_request: ListPortsRequest): Promise<ListPortsResponse> => ({
    ports: deps.ports
      .current()
      .sort((a, b) => a.port - b.port || a.address.localeCompare(b.address))
      .map((p) => ({ address: p.address, port: p.port, forwarded: p.forwarded })),
  });
}
