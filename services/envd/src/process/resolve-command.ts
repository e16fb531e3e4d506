import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { errors } from "@wrenn/shared";

/**
 * Finds the executable the way execvp(3) would, but before spawning, so a
 * missing command is a precise NOT_FOUND instead of an asynchronous ENOENT
 * from the child.
 */
export function resolveCommand(cmd: string, pathEnv: string, cwd: string): string {
  if (cmd.includes("/")) {
    const full = isAbsolute(cmd) ? cmd : resolve(cwd, cmd);
    const problem = executableProblem(full);
    if (problem === "missing") throw errors.notFound(`command not found: ${cmd}`);
    if (problem) throw errors.permissionDenied(`command ${cmd} ${problem}`);
    return full;
  }
  let sawNonExecutable = false;
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const full = join(isAbsolute(dir) ? dir : resolve(cwd, dir), cmd);
    const problem = executableProblem(full);
    if (!problem) return full;
    if (problem !== "missing") sawNonExecutable = true;
  }
  if (sawNonExecutable) throw errors.permissionDenied(`command ${cmd} was found in PATH but is not executable`);
  throw errors.notFound(`command not found in PATH: ${cmd}`);
}

function executableProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return "is not a regular file";
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? "missing" : "is not executable";
  }
}
