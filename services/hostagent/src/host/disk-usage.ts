import { execFile } from "node:child_process";

/** Bytes of disk actually allocated under `path` (du -s -B1): sparse files and qcow2 holes count as what they take. */
export function diskUsage(path: string): Promise<number> {
  return new Promise((resolve) => {
    execFile("du", ["-s", "-B1", path], (err, stdout) => {
      // A directory going away under du (destroy racing a metrics call) is simply 0.
      resolve(err ? 0 : Number(stdout.split("\t")[0]) || 0);
    });
  });
}
