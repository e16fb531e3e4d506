import type {
  ListPortsRequest,
  ListPortsResponse,
  PortServiceImplementation,
  WatchPortsRequest,
  WatchPortsResponse,
} from "@wrenn/gen/wrenn/api/v1/port.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";

/** Ports as envd sees them, relayed through the sandbox's host agent. */
export function createPortService(resolve: RelayResolver): PortServiceImplementation {
  return {
    async listPorts(request: ListPortsRequest, context: CallerContext): Promise<ListPortsResponse> {
      const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
      const response = await target.connection.ports.listPorts({}, { metadata: target.metadata, signal: context.signal });
      return { ports: response.ports };
    },
    async *watchPorts(request: WatchPortsRequest, context: CallerContext): AsyncGenerator<WatchPortsResponse, void> {
      const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
      const events = target.connection.ports.watchPorts({}, { metadata: target.metadata, signal: context.signal });
      for await (const event of events) yield { opened: event.opened, closed: event.closed, keepalive: event.keepalive };
    },
  };
}
