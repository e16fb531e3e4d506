import { errors } from "@wrenn/shared";
import type { UpdateRequest, UpdateResponse } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { validatePtySize } from "../../process/prepare-process.js";
import type { EnvdDeps } from "../deps.js";
import { toSelector } from "./to-event.js";

/** Resizes a PTY; the program gets SIGWINCH from the kernel. */
export function createUpdateHandler(deps: EnvdDeps) {
  return async (request: UpdateRequest): Promise<UpdateResponse> => {
    const proc = deps.registry.selectOne(toSelector(request.process));
    if (!request.pty) throw errors.invalidArgument("nothing to update: set pty");
    validatePtySize(request.pty);
    proc.resize({ rows: request.pty.rows, cols: request.pty.cols });
    return {};
  };
}
