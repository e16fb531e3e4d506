import type { ProcessServiceImplementation } from "@wrenn/gen/wrenn/api/v1/process.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { connectProcessHandler } from "./connect-process.js";
import { listProcessesHandler } from "./list-processes.js";
import { killProcessHandler, signalProcessHandler, updateProcessHandler } from "./process-control.js";
import { closeProcessStdinHandler, sendProcessInputHandler, streamProcessInputHandler } from "./process-input.js";
import { startProcessHandler } from "./start-process.js";

export function createProcessService(resolve: RelayResolver): ProcessServiceImplementation {
  return {
    startProcess: startProcessHandler(resolve),
    listProcesses: listProcessesHandler(resolve),
    connectProcess: connectProcessHandler(resolve),
    sendProcessInput: sendProcessInputHandler(resolve),
    streamProcessInput: streamProcessInputHandler(resolve),
    closeProcessStdin: closeProcessStdinHandler(resolve),
    signalProcess: signalProcessHandler(resolve),
    killProcess: killProcessHandler(resolve),
    updateProcess: updateProcessHandler(resolve),
  };
}
