import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@wrenn/shared";

/**
 * Kills the QEMU processes of sandboxes a previous agent run left in
 * DATA_DIR/sandboxes that cannot be adopted (no usable record: a create cut
 * short by a crash). A pid file is trusted only when that process's command
 * line names the sandbox, since pids are reused.
 * Returns the sandbox ids whose VM was still running.
 */
export async function killLeftoverVms(sandboxesDir: string, names: string[], logger: Logger): Promise<string[]> {
  const killed: string[] = [];
  for (const name of names) {
    const pid = Number((await readFile(join(sandboxesDir, name, "qemu.pid"), "utf8").catch(() => "")).trim());
    if (!Number.isInteger(pid) || pid <= 1) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (!cmdline.split("\0").includes(`wrenn-${name}`)) continue;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      continue;
    }
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(20);
    killed.push(name);
    logger.warn({ sandboxId: name, pid }, "killed a VM left running by a previous agent");
  }
  return killed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
