import type { ServiceImpl } from "@connectrpc/connect";
import type { Process } from "@wrenn/gen/e2b/process/process_pb.js";
import type { PublicEnvdClients } from "./envd-calls.js";
import { listHandler, sendSignalHandler, updateHandler } from "./process-control.js";
import { closeStdinHandler, sendInputHandler, streamInputHandler } from "./process-input.js";
import { connectHandler, startHandler } from "./process-stream.js";

/**
 * E2B's `process.Process`, mapped onto the public ProcessService: every call
 * is a public API call with the caller's credential, so a missing or wrong
 * X-Access-Token is UNAUTHENTICATED there and here (the SDK's
 * AuthenticationError).
 */
export function processService(clients: PublicEnvdClients): ServiceImpl<typeof Process> {
  return {
    start: startHandler(clients),
    connect: connectHandler(clients),
    list: listHandler(clients),
    sendInput: sendInputHandler(clients),
    streamInput: streamInputHandler(clients),
    closeStdin: closeStdinHandler(clients),
    sendSignal: sendSignalHandler(clients),
    update: updateHandler(clients),
  };
}
