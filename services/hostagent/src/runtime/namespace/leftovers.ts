import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@wrenn/shared";
import { removeLeftoverCgroups } from "./cgroups.js";
import { removeSandboxDir } from "./mounts.js";

/**
 * Removes what dead (or unadoptable) sandboxes of a previous agent run left
 * in DATA_DIR/sandboxes: processes still holding a sandbox root, mounts,
 * directories, cgroups. Returns the ids removed.
 */
export async function removeLeftoverSandboxes(sandboxesDir: string, names: string[], logger: Logger): Promise<string[]> {
  const removed: string[] = [];
  for (const name of names) {
    const dir = join(sandboxesDir, name);
    try {
      const killed = await killSandboxProcesses(name);
      await removeSandboxDir(dir);
      removed.push(name);
      logger.info({ sandboxId: name, killedPids: killed }, "removed leftover sandbox from a previous run");
    } catch (err) {
      logger.error({ err, sandboxId: name }, "could not remove leftover sandbox");
    }
  }
  // After the processes are gone, so the groups are empty. Only our own
  // data dir's sandboxes: another agent on this machine may share the hierarchy.
  await removeLeftoverCgroups(names, logger);
  return removed;
}

/**
 * SIGKILLs bwrap processes whose command line names the sandbox (its
 * --hostname); the kernel then kills the rest of its pid namespace.
 */
async function killSandboxProcesses(sandboxId: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    const args = cmdline.split("\0");
    if (args[0]?.endsWith("bwrap") && args.includes(sandboxId)) pids.push(pid);
  }
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 100 && pids.some(isAlive); i++) await sleep(20);
  return pids;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
