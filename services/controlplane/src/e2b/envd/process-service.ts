import type { ServiceImpl } from "@connectrpc/connect";
import type { Process } from "@wrenn/gen/e2b/process/process_pb.js";
import type { PublicEnvdClients } from "./envd-calls.js";

/**
 * E2B's `process.Process`, mapped onto the public ProcessService.
 * Placeholder: every method answers unimplemented until it is written.
 */
export function processService(_clients: PublicEnvdClients): Partial<ServiceImpl<typeof Process>> {
  return {};
}
