import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * cgroup v1 freezer: pause a namespace sandbox in place. CRIU cannot
 * checkpoint on these hosts (see notes/runtime-facts.md), so the processes
 * stay in host memory; only their scheduling stops.
 */
export async function setFrozen(group: string, frozen: boolean, timeoutMs = 10_000): Promise<void> {
  const want = frozen ? "FROZEN" : "THAWED";
  await writeFile(join(group, "freezer.state"), want);
  const deadline = Date.now() + timeoutMs;
  // FREEZING means some task has not stopped yet; the kernel keeps trying.
  while ((await readFile(join(group, "freezer.state"), "utf8")).trim() !== want) {
    if (Date.now() > deadline) {
      await writeFile(join(group, "freezer.state"), "THAWED").catch(() => {});
      throw new Error(`freezer did not reach ${want} within ${timeoutMs} ms`);
    }
    await writeFile(join(group, "freezer.state"), want);
    await sleep(10);
  }
}

/** CPU seconds (user + system) of every process in the group, from /proc. */
export async function groupCpuSeconds(group: string): Promise<number> {
  const pids = (await readFile(join(group, "cgroup.procs"), "utf8")).split("\n").filter(Boolean);
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}
