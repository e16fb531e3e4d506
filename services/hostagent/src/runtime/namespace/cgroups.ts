import { mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@wrenn/shared";

/**
 * Per-sandbox cgroup v1 limits (memory, pids). These machines run hybrid
 * cgroups: the controllers live in v1 hierarchies and v2 has none usable.
 * Each sandbox's group is nested under the agent's own group in each
 * hierarchy (…/<agent's cgroup>/wrenn/<sandbox id>), so sandboxes stay
 * inside whatever limits and accounting the agent itself runs under.
 */
export interface CgroupLimits {
  /** 0 means unlimited. */
  memoryBytes: number;
  /** 0 means unlimited. */
  pidsMax: number;
  /** CPU quota in whole CPUs (CFS bandwidth); 0 or absent means unlimited. */
  cpus?: number;
}

export interface SandboxCgroups {
  /** cgroup directories the sandbox's first process must join. */
  paths: string[];
  /** The sandbox's freezer group (pause in place), memory group (usage). */
  freezer?: string;
  memory?: string;
  /** Removes the groups; call after every process in them is gone. */
  remove(): Promise<void>;
}

const root = "/sys/fs/cgroup";

async function baseDir(controller: string): Promise<string> {
  const text = await readFile("/proc/self/cgroup", "utf8");
  for (const line of text.split("\n")) {
    const [, controllers, path] = line.split(":");
    if (controllers?.split(",").includes(controller)) return join(root, controller, path ?? "/", "wrenn");
  }
  throw new Error(`no cgroup v1 hierarchy for ${controller}`);
}

let warned = false;
const cfsPeriodUs = 100_000;
const controllers = ["memory", "pids", "freezer", "cpu"];

function groupsOf(dirs: string[], remove: () => Promise<void>): SandboxCgroups {
  return { paths: [...dirs], freezer: dirs.find((d) => d.includes("/freezer/")), memory: dirs.find((d) => d.includes("/memory/")), remove };
}

/** The groups a previous run of the agent made for a sandbox that is still alive (re-adoption). */
export async function openSandboxCgroups(sandboxId: string): Promise<SandboxCgroups | undefined> {
  const found: string[] = [];
  for (const controller of controllers) {
    const dir = await baseDir(controller).then((base) => join(base, sandboxId), () => undefined);
    if (dir && (await readdir(dir).then(() => true, () => false))) found.push(dir);
  }
  if (found.length === 0) return undefined;
  return groupsOf(found, async () => {
    for (const dir of [...found].reverse()) await removeGroup(dir);
  });
}

/** Creates the sandbox's groups with limits, or returns undefined (logged once) where cgroup v1 is unusable. */
export async function createSandboxCgroups(sandboxId: string, limits: CgroupLimits, logger: Logger): Promise<SandboxCgroups | undefined> {
  const created: string[] = [];
  const remove = async () => {
    for (const dir of created.reverse()) await removeGroup(dir);
  };
  try {
    const settings: Array<[string, string, string]> = [
      ["memory", "memory.limit_in_bytes", limits.memoryBytes > 0 ? String(limits.memoryBytes) : "-1"],
      ["pids", "pids.max", limits.pidsMax > 0 ? String(limits.pidsMax) : "max"],
      // Not a limit: pause freezes every process of the sandbox in place.
      ["freezer", "freezer.state", "THAWED"],
    ];
    for (const [controller, file, value] of settings) {
      const dir = join(await baseDir(controller), sandboxId);
      await mkdir(dir, { recursive: true });
      created.push(dir);
      await writeFile(join(dir, file), value);
    }
    if (limits.cpus && limits.cpus > 0) {
      // As many CPUs' worth of time per period as a VM of this size has vCPUs.
      const dir = join(await baseDir("cpu"), sandboxId);
      await mkdir(dir, { recursive: true });
      created.push(dir);
      await writeFile(join(dir, "cpu.cfs_period_us"), String(cfsPeriodUs));
      await writeFile(join(dir, "cpu.cfs_quota_us"), String(Math.round(limits.cpus * cfsPeriodUs)));
    }
    return groupsOf(created, remove);
  } catch (err) {
    await remove().catch(() => {});
    if (!warned) {
      warned = true;
      logger.warn({ err }, "cgroup v1 memory/pids limits unavailable; sandboxes run without them");
    }
    return undefined;
  }
}

/** rmdir fails with EBUSY until the kernel has let go of the last exiting task: retry briefly. */
async function removeGroup(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      if (code !== "EBUSY" || attempt >= 50) throw err;
      await sleep(20);
    }
  }
}

/**
 * Removes the groups of sandboxes a previous run left behind (a group only
 * exists while its sandbox directory does); their processes are gone by now.
 */
export async function removeLeftoverCgroups(sandboxIds: string[], logger: Logger): Promise<void> {
  for (const controller of controllers) {
    let base: string;
    try {
      base = await baseDir(controller);
    } catch {
      continue;
    }
    const present = new Set(await readdir(base).catch(() => [] as string[]));
    for (const name of sandboxIds) {
      if (!present.has(name)) continue;
      await removeGroup(join(base, name)).then(
        () => logger.info({ sandboxId: name, controller }, "removed leftover cgroup"),
        (err: unknown) => logger.warn({ err, sandboxId: name, controller }, "could not remove leftover cgroup"),
      );
    }
  }
}
