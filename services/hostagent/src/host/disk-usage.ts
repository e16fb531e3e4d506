import { runCommand } from "@wrenn/shared";

/** Bytes of disk actually allocated under `path` (du -s -B1): sparse files and qcow2 holes count as what they take. */
export function diskUsage(path: string): Promise<number> {
  return runCommand(["du", "-s", "-B1", path]).then(
    ({ stdout }) => Number(stdout.split("\t")[0]) || 0,
    // A directory going away under du (destroy racing a metrics call) is simply 0.
    () => 0,
  );
}
