import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { errors } from "@wrenn/shared";
import type { ProcessSpec } from "./process-spec.js";

const setprivPath = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

/**
 * Spawns the child as the leader of a new process group (detached → setsid),
 * so a timeout or a cancelled call can kill it together with everything it
 * started. Resolves once the exec succeeded; spawn failures become statuses.
 */
export async function spawnChild(spec: ProcessSpec): Promise<ChildProcessWithoutNullStreams> {
  const daemonUid = process.getuid?.() ?? 0;
  let file = spec.file;
  let args = spec.args;
  let ids: { uid?: number; gid?: number } = {};
  if (spec.user.uid !== daemonUid) {
    const supplementary = spec.user.gids.slice(1);
    // Node's uid/gid options drop all supplementary groups; setpriv keeps them.
    if (daemonUid === 0 && supplementary.length > 0 && setprivPath) {
      file = setprivPath;
      args = [
        `--reuid=${spec.user.uid}`,
        `--regid=${spec.user.gid}`,
        `--groups=${supplementary.join(",")}`,
        "--",
        spec.file,
        ...spec.args,
      ];
    } else {
      ids = { uid: spec.user.uid, gid: spec.user.gid };
    }
  }

  const child = spawn(file, args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
    ...ids,
  });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  }).catch((err: NodeJS.ErrnoException) => {
    throw spawnError(spec.file, err);
  });
  // Later errors (a failed kill, EPIPE on stdin) must not crash the daemon.
  child.on("error", () => {});
  child.stdin.on("error", () => {});
  return child;
}

function spawnError(cmd: string, err: NodeJS.ErrnoException) {
  switch (err.code) {
    case "ENOENT":
      return errors.notFound(`cannot start ${cmd}: no such file or directory`);
    case "EACCES":
    case "EPERM":
      return errors.permissionDenied(`cannot start ${cmd}: permission denied`);
    case "ENOEXEC":
      return errors.failedPrecondition(`cannot start ${cmd}: not an executable format`);
    default:
      return errors.failedPrecondition(`cannot start ${cmd}: ${err.code ?? "spawn failed"}`);
  }
}
